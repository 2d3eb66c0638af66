import type { LookupAddress } from "node:dns";
import { fetch } from "undici";
import { describe, expect, it } from "vitest";
import { createGuardedAgent, createGuardedLookup, isBlockedAddress, type AllAddressesResolver } from "./address-guard.js";

function resolverAnswering(addresses: LookupAddress[]): AllAddressesResolver {
  return (_hostname, _options, callback) => callback(null, addresses);
}

function lookupOnce(
  resolve: AllAddressesResolver,
  all: boolean,
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((done) => {
    createGuardedLookup(resolve)("provider.example", { all }, (err, address, family) => done({ err, address, family }));
  });
}

describe("isBlockedAddress", () => {
  it.each([
    "169.254.169.254",
    "169.254.0.1",
    "fe80::1",
    "febf:ffff::1",
    "fd00:ec2::254",
    "FD00:EC2:0:0::254",
    "[fd00:ec2::254]",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
  ])("refuses the link-local or metadata address %s", (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each(["127.0.0.1", "10.0.0.1", "93.184.215.14", "::1", "fd00:ec2::253", "fec0::1", "::ffff:10.0.0.1", "login.example.com"])(
    "lets %s through",
    (ip) => {
      expect(isBlockedAddress(ip)).toBe(false);
    },
  );
});

describe("createGuardedLookup", () => {
  it("refuses a name when any of its addresses is link-local", async () => {
    const resolve = resolverAnswering([
      { address: "93.184.215.14", family: 4 },
      { address: "169.254.169.254", family: 4 },
    ]);
    const { err } = await lookupOnce(resolve, false);
    expect(err?.code).toBe("EBLOCKED");
    expect(err?.message).toContain("provider.example");
  });

  it("answers with every address when asked for all of them", async () => {
    const addresses = [
      { address: "93.184.215.14", family: 4 },
      { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 },
    ];
    const { err, address } = await lookupOnce(resolverAnswering(addresses), true);
    expect(err).toBeNull();
    expect(address).toEqual(addresses);
  });

  it("answers with the first address and its family for a single lookup", async () => {
    const { err, address, family } = await lookupOnce(resolverAnswering([{ address: "2001:db8::1", family: 6 }]), false);
    expect(err).toBeNull();
    expect(address).toBe("2001:db8::1");
    expect(family).toBe(6);
  });

  it("passes resolver errors through", async () => {
    const notFound: NodeJS.ErrnoException = Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
    const { err } = await lookupOnce((_h, _o, callback) => callback(notFound, []), false);
    expect(err).toBe(notFound);
  });
});

describe("createGuardedAgent", () => {
  it("never opens a connection to a name that resolves to the metadata service", async () => {
    const agent = createGuardedAgent(createGuardedLookup(resolverAnswering([{ address: "169.254.169.254", family: 4 }])));
    try {
      const failure: unknown = await fetch("https://metadata.provider.example/token", { dispatcher: agent }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TypeError);
      expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe("EBLOCKED");
    } finally {
      await agent.close();
    }
  });
});
