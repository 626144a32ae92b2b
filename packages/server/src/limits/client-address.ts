import { BlockList, isIP } from "node:net";

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is 1.2.3.4. */
function plain(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The client's address for rate limits. Behind a reverse proxy every request comes from the
 * proxy, so its `X-Forwarded-For` is believed, but only when the peer is a listed proxy: the
 * address is the right-most one in the header that is not itself a trusted proxy. Anyone else's
 * header is ignored (a client could put anything there).
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  /** `proxies`: addresses or CIDR ranges (`listen.trusted_proxies`, already validated). */
  constructor(proxies: readonly string[]) {
    this.any = proxies.length > 0;
    for (const p of proxies) {
      const [addr = "", prefix] = p.split("/");
      const type = isIP(addr) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.trusted.addAddress(addr, type);
      else this.trusted.addSubnet(addr, Number(prefix), type);
    }
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
