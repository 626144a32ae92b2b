import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** The path the spec requires of an HTTP pusher's URL. */
export const NOTIFY_PATH = "/_matrix/push/v1/notify";

/** Addresses a pusher may not make the server call unless `push.allow_private_gateways` is on. */
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network", unspecified
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local (cloud metadata services live here)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  privateRanges.addSubnet(net, prefix, "ipv6");
}

/** True for a loopback, private, link-local, unspecified, multicast or reserved IP address (v4, v6, v4 in v6). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return privateRanges.check(address, "ipv4");
  if (family !== 6) return false;
  const lower = address.toLowerCase();
  // An IPv4 address inside IPv6 (::ffff:10.0.0.1, ::ffff:a00:1, the deprecated ::10.0.0.1): judge the IPv4 one.
  const v4 = embeddedIpv4(lower);
  if (v4 !== null) return privateRanges.check(v4, "ipv4");
  return privateRanges.check(lower, "ipv6");
}

function embeddedIpv4(v6: string): string | null {
  const dotted = /^(?:0{0,4}:){0,5}(?:ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/.exec(v6.replace(/^::/, "0:"));
  if (dotted && isIP(dotted[1]!) === 4) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!hex) return null;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The URL's host without IPv6 brackets, lower case. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/** `localhost`, `*.localhost` (RFC 6761: always loopback) or a literal private address. */
export function isPrivateHost(host: string): boolean {
  const h = host.replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") || isPrivateAddress(h);
}

/**
 * Why a pusher URL is unacceptable, or null when it is fine: absolute http(s), the spec's notify
 * path, and (unless private gateways are allowed) not a private host by its literal name.
 */
export function gatewayUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "'data.url' must be an absolute URL.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "'data.url' must be an https: (or http:) URL.";
  if (url.pathname !== NOTIFY_PATH) return `'data.url' must have the path ${NOTIFY_PATH}.`;
  if (!allowPrivate && isPrivateHost(hostOf(url))) return "'data.url' points at a loopback, private or link-local address, which this server does not call.";
  return null;
}

export type Resolve = (host: string) => Promise<string[]>;

/** Every address a host name resolves to (node:dns lookup, as fetch would connect). */
export const resolveAll: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Before each delivery when private gateways are not allowed: the private address the gateway's host
 * resolves to, or null when every address is public. Lookup failures are thrown (network errors).
 */
export async function privateResolution(url: URL, resolve: Resolve): Promise<string | null> {
  const host = hostOf(url);
  if (isPrivateHost(host)) return host;
  if (isIP(host) !== 0) return null;
  for (const a of await resolve(host)) if (isPrivateAddress(a)) return a;
  return null;
}
