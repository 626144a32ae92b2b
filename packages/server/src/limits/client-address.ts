import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { BlockList, isIP } from "node:net";

/** Carries the cluster's shared secret on a request one Axon process forwards to another (cluster/forward.ts). */
export const FORWARDED_HEADER = "x-axon-forwarded";
/** The client's address, as the forwarding process determined it; believed only with the secret. */
export const CLIENT_IP_HEADER = "x-axon-client-ip";

/** Whether a header value is `secret` (compared in constant time, whatever the lengths). */
export function secretMatches(value: string | string[] | undefined, secret: string | null): boolean {
  if (typeof value !== "string" || !secret) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(value), digest(secret));
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is 1.2.3.4. */
function plain(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The client's address for rate limits. Behind a reverse proxy every request comes from the
 * proxy, so its `X-Forwarded-For` is believed, but only when the peer is a listed proxy: the
 * address is the right-most one in the header that is not itself a trusted proxy. Anyone else's
 * header is ignored (a client could put anything there). Several processes (issue 14): a request
 * another Axon process forwarded, with the cluster's secret, names its client in `x-axon-client-ip`.
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  /**
   * `proxies`: addresses or CIDR ranges (`listen.trusted_proxies`, already validated); `peerSecret`:
   * the cluster's shared secret (null in single-process mode: `x-axon-client-ip` is never believed).
   */
  constructor(
    proxies: readonly string[],
    private readonly peerSecret: string | null = null,
  ) {
    this.any = proxies.length > 0;
    for (const p of proxies) {
      const [addr = "", prefix] = p.split("/");
      const type = isIP(addr) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.trusted.addAddress(addr, type);
      else this.trusted.addSubnet(addr, Number(prefix), type);
    }
  }

  /** True when another process of this cluster forwarded the request (it carries the secret). */
  fromPeer(headers: IncomingHttpHeaders): boolean {
    return secretMatches(headers[FORWARDED_HEADER], this.peerSecret);
  }

  /** The client address of a request: the one a peer names in `x-axon-client-ip`, else `of(peer, X-Forwarded-For)`. */
  ofRequest(req: { socket: { remoteAddress?: string | undefined }; headers: IncomingHttpHeaders }): string {
    const named = req.headers[CLIENT_IP_HEADER];
    if (typeof named === "string" && isIP(plain(named.trim())) !== 0 && this.fromPeer(req.headers)) return plain(named.trim());
    return this.of(req.socket.remoteAddress, req.headers["x-forwarded-for"]);
  }

  /** The client address of a request from `peer` carrying `forwardedFor` (the raw header). */
  of(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let address = plain(peer ?? "unknown");
    if (!this.any || !this.isTrusted(address) || forwardedFor === undefined) return address;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",");
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plain(hops[i]!.trim());
      if (isIP(hop) === 0) break;
      address = hop;
      if (!this.isTrusted(hop)) break;
    }
    return address;
  }

  private isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.trusted.check(address, family === 6 ? "ipv6" : "ipv4");
  }
}
