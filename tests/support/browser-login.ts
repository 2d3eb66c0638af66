/** Where the browser leaves the authorization server: the request it would make to the redirect URI. */
export type BrowserLanding =
  | { method: "GET"; url: string }
  | { method: "POST"; url: string; form: Record<string, string> };

/** How {@link authorizeInBrowser} answers the login and consent pages. */
export interface BrowserLoginOptions {
  /** The account id to sign in as; defaults to "alice". */
  login?: string;
  /** "deny" aborts at the consent page, which yields error=access_denied. */
  decision?: "approve" | "deny";
  /** Origin and path prefix of the redirect URI; the browser stops before requesting it. */
  stopAt: string;
}

interface StoredCookie {
  name: string;
  host: string;
  path: string;
  value: string;
}

const MAX_STEPS = 20;

/** Drives oidc-provider's dev login and consent pages the way a browser would, carrying cookies. */
export async function authorizeInBrowser(authorizationUrl: string, options: BrowserLoginOptions): Promise<BrowserLanding> {
  const jar = new Map<string, StoredCookie>();
  let request: { url: string; form?: Record<string, string> } = { url: authorizationUrl };

  for (let step = 0; step < MAX_STEPS; step += 1) {
    if (request.url.startsWith(options.stopAt)) {
      return request.form ? { method: "POST", url: request.url, form: request.form } : { method: "GET", url: request.url };
    }
    const response = await fetch(request.url, {
      method: request.form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        ...(request.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...cookieHeader(jar, request.url),
      },
      ...(request.form ? { body: new URLSearchParams(request.form).toString() } : {}),
    });
    storeCookies(jar, request.url, response.headers.getSetCookie());

    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      request = { url: new URL(location, request.url).href };
      continue;
    }
    const html = await response.text();
    const form = parseForm(html, request.url);
    if (!form) throw new Error(`Unexpected ${response.status} from ${request.url}: ${html.slice(0, 300)}`);
    request = answerPage(form, html, request.url, options);
  }
  throw new Error(`No landing at ${options.stopAt} after ${MAX_STEPS} steps`);
}

interface ParsedForm {
  action: string;
  inputs: Record<string, string>;
}

function answerPage(
  form: ParsedForm,
  html: string,
  pageUrl: string,
  options: BrowserLoginOptions,
): { url: string; form?: Record<string, string> } {
  // form_post response mode: the auto-submitting form is the landing itself.
  if (form.action.startsWith(options.stopAt)) return { url: form.action, form: form.inputs };

  switch (form.inputs.prompt) {
    case "login":
      return { url: form.action, form: { prompt: "login", login: options.login ?? "alice", password: "any" } };
    case "consent":
      if (options.decision === "deny") return { url: abortLink(html, pageUrl) };
      return { url: form.action, form: { prompt: "consent" } };
    default:
      throw new Error(`Unexpected form at ${pageUrl}: ${JSON.stringify(form)}`);
  }
}

function parseForm(html: string, pageUrl: string): ParsedForm | undefined {
  const formTag = /<form\b[^>]*\baction="([^"]*)"/i.exec(html);
  if (!formTag) return undefined;
  const inputs: Record<string, string> = {};
  for (const [tag] of html.matchAll(/<input\b[^>]*>/gi)) {
    if (!/\btype="hidden"/i.test(tag)) continue;
    const name = /\bname="([^"]*)"/i.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(tag)?.[1] ?? "";
    if (name !== undefined) inputs[decodeEntities(name)] = decodeEntities(value);
  }
  return { action: new URL(decodeEntities(formTag[1] ?? ""), pageUrl).href, inputs };
}

function abortLink(html: string, pageUrl: string): string {
  const href = /<a\b[^>]*\bhref="([^"]*\/abort)"/i.exec(html)?.[1];
  if (!href) throw new Error(`No abort link at ${pageUrl}`);
  return new URL(decodeEntities(href), pageUrl).href;
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, entity: string) =>
    entity === "amp" ? "&" : entity === "lt" ? "<" : entity === "gt" ? ">" : entity === "quot" ? '"' : "'",
  );
}

function storeCookies(jar: Map<string, StoredCookie>, requestUrl: string, setCookies: string[]): void {
  const { host } = new URL(requestUrl);
  for (const header of setCookies) {
    const [pair = "", ...attributes] = header.split(";").map((part) => part.trim());
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq);
    let path = "/";
    let expired = false;
    for (const attribute of attributes) {
      const [key = "", value = ""] = attribute.split("=", 2);
      const lower = key.toLowerCase();
      if (lower === "path" && value.startsWith("/")) path = value;
      if (lower === "max-age" && Number(value) <= 0) expired = true;
      if (lower === "expires" && Date.parse(value) <= Date.now()) expired = true;
    }
    const key = `${host} ${path} ${name}`;
    if (expired) jar.delete(key);
    else jar.set(key, { name, host, path, value: pair.slice(eq + 1) });
  }
}

function cookieHeader(jar: Map<string, StoredCookie>, requestUrl: string): Record<string, string> {
  const { host, pathname } = new URL(requestUrl);
  const pairs: string[] = [];
  for (const cookie of jar.values()) {
    if (cookie.host !== host || !pathMatches(pathname, cookie.path)) continue;
    pairs.push(`${cookie.name}=${cookie.value}`);
  }
  return pairs.length ? { cookie: pairs.join("; ") } : {};
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath.endsWith("/") ? cookiePath : `${cookiePath}/`);
}
