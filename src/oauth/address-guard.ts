import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Agent } from "undici";

// Link-local space hosts the cloud metadata services (Azure IMDS, AWS, GCP at 169.254.169.254,
// AWS IPv6 at fd00:ec2::254); a provider URL pointing there would leak managed-identity tokens.
const blocked = new BlockList();
blocked.addSubnet("169.254.0.0", 16, "ipv4");
blocked.addSubnet("fe80::", 10, "ipv6");
blocked.addAddress("fd00:ec2::254", "ipv6");

/** True for link-local and cloud-metadata addresses, including their IPv4-mapped IPv6 forms. */
export function isBlockedAddress(ip: string): boolean {
  const bare = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  const family = isIP(bare);
  if (family === 0) return false;
  // BlockList matches ::ffff:a.b.c.d against IPv4 subnets itself.
  return blocked.check(bare, family === 4 ? "ipv4" : "ipv6");
}

/** Resolves every address of a host name; `dns.lookup` has this form. */
export type AllAddressesResolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** Error code of a refused destination, for callers that look through `fetch failed` causes. */
export const BLOCKED_ADDRESS_CODE = "EBLOCKED";

/** A `dns.lookup`-shaped function (net/undici `lookup` option) that fails when any address is blocked. */
export function createGuardedLookup(resolve: AllAddressesResolver = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    // Resolve all addresses even for a single-answer call: a host must not pass by luck of ordering.
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.some((entry) => isBlockedAddress(entry.address))) {
        const refused: NodeJS.ErrnoException = new Error(
          `refused to connect to ${hostname}: it resolves to a link-local or cloud metadata address`,
        );
        refused.code = BLOCKED_ADDRESS_CODE;
        return callback(refused, []);
      }
      if (options.all === true) return callback(null, addresses);
      const first = addresses[0];
      if (first === undefined) {
        const none: NodeJS.ErrnoException = new Error(`no address found for ${hostname}`);
        none.code = "ENOTFOUND";
        return callback(none, []);
      }
      return callback(null, first.address, first.family);
    });
  };
}

/** The lookup used for every connection to a provider. */
export const guardedLookup: LookupFunction = createGuardedLookup();

/** An undici Agent whose connections resolve through {@link guardedLookup}. */
export function createGuardedAgent(lookup: LookupFunction = guardedLookup): Agent {
  return new Agent({ connect: { lookup } });
}
