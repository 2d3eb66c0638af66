// oidc-provider ships no types; this declares only what the test authorization server uses.
declare module "oidc-provider" {
  /** The parts of oidc-provider's per-request state that the recording middleware reads. */
  export interface OidcRequestState {
    route?: string;
    client?: { clientId: string };
    body?: Record<string, string | string[] | undefined>;
  }

  /** The parts of the Koa context that the recording middleware reads. */
  export interface ProviderContext {
    method: string;
    path: string;
    status: number;
    body: unknown;
    query: Record<string, string | string[] | undefined>;
    get(header: string): string;
    oidc?: OidcRequestState;
  }

  /** A registered client, as oidc-provider hands it to configuration callbacks. */
  export interface ProviderClient {
    clientId: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  /** What `findAccount` returns. */
  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>>;
  }

  /** Provider configuration; only the keys used are spelled out. */
  export interface Configuration {
    clients?: Array<Record<string, unknown>>;
    scopes?: string[];
    claims?: Record<string, string[] | null>;
    features?: Record<string, Record<string, unknown>>;
    pkce?: { required?: (ctx: unknown, client: ProviderClient) => boolean };
    issueRefreshToken?: (ctx: unknown, client: ProviderClient, code: unknown) => Promise<boolean>;
    rotateRefreshToken?: boolean;
    clockTolerance?: number;
    ttl?: Record<string, number | ((ctx: { oidc?: { params?: Record<string, unknown> } }) => number)>;
    findAccount?: (ctx: unknown, sub: string) => Promise<Account | undefined>;
    [key: string]: unknown;
  }

  /** The oidc-provider Koa application. */
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Client: {
      adapter: { upsert(id: string, payload: Record<string, unknown>): Promise<void> };
      find(id: string): Promise<ProviderClient | undefined>;
    };
    callback(): (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void;
    use(middleware: (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>): this;
  }
}
