import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RateLimiter } from "./rate-limiter";

describe("RateLimiter", () => {
  it("allows a burst, then one per refill interval, and says how long to wait", () => {
    const rl = new RateLimiter(1, 5);
    for (let i = 0; i < 5; i++) assert.equal(rl.take("u", 1000), 0);
    assert.equal(rl.take("u", 1000), 1000);
    assert.equal(rl.take("u", 1500), 500);
    assert.equal(rl.take("u", 2000), 0);
    assert.equal(rl.take("u", 2000), 1000);
  });

  it("keeps keys apart", () => {
    const rl = new RateLimiter(1, 1);
    assert.equal(rl.take("a", 0), 0);
    assert.equal(rl.take("b", 0), 0);
    assert.ok(rl.take("a", 0) > 0);
  });

  it("per_second 0 disables limiting", () => {
    const rl = new RateLimiter(0, 0);
    for (let i = 0; i < 100; i++) assert.equal(rl.take("u", 0), 0);
  });
});
