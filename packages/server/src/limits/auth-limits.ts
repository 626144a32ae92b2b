import { limitExceeded, type UserId } from "@axon/protocol";
import type { Clock } from "../clock";
import type { Config } from "../config";
import { RateLimiter } from "../presence/rate-limiter";
import { ClientAddresses } from "./client-address";

/**
 * Limits on the two endpoints open to anyone: POST /login (per client address, and per account
 * against password guessing) and POST /register (per client address). Over a limit: 429
 * M_LIMIT_EXCEEDED with Retry-After. Only these routes consult it; /sync and presence never do.
 */
export class AuthLimits {
  private readonly loginByAddress: RateLimiter;
  private readonly loginByAccount: RateLimiter;
  private readonly registerByAddress: RateLimiter;
  readonly addresses: ClientAddresses;

  constructor(
    limits: Config["rate_limits"],
    trustedProxies: readonly string[],
    private readonly clock: Clock,
    /** The cluster's shared secret (several processes): forwarded requests then count against their real client. */
    peerSecret: string | null = null,
  ) {
    this.loginByAddress = new RateLimiter(limits.login.per_second, limits.login.burst);
    this.loginByAccount = new RateLimiter(limits.login.per_second, limits.login.burst);
    this.registerByAddress = new RateLimiter(limits.register.per_second, limits.register.burst);
    this.addresses = new ClientAddresses(trustedProxies, peerSecret);
  }

  /** A login attempt from `address`; throws 429 when over the limit. */
  loginFrom(address: string): void {
    this.check(this.loginByAddress.take(address, this.clock.now()));
  }

  /** A login attempt for `userId` (from anywhere); throws 429 when over the limit. */
  loginAs(userId: UserId): void {
    this.check(this.loginByAccount.take(userId, this.clock.now()));
  }

  /** A registration request from `address`; throws 429 when over the limit. */
  registerFrom(address: string): void {
    this.check(this.registerByAddress.take(address, this.clock.now()));
  }

  private check(waitMs: number): void {
    if (waitMs > 0) throw limitExceeded(waitMs);
  }
}
