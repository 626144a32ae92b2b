import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientAddresses, secretMatches } from "./client-address";

describe("ClientAddresses", () => {
  it("with no trusted proxy, the peer is the client and X-Forwarded-For is ignored", () => {
    const a = new ClientAddresses([]);
    assert.equal(a.of("203.0.113.7", "198.51.100.1"), "203.0.113.7");
    assert.equal(a.of("::ffff:203.0.113.7", undefined), "203.0.113.7");
  });

  it("a trusted proxy's header names the client: the right-most hop that is not a trusted proxy", () => {
    const a = new ClientAddresses(["10.0.0.1", "fd00::/8", "192.168.0.0/16"]);
    assert.equal(a.of("10.0.0.1", "198.51.100.1"), "198.51.100.1");
    // A client can prepend anything; only what our proxies appended counts.
    assert.equal(a.of("10.0.0.1", "6.6.6.6, 198.51.100.1, 192.168.4.4"), "198.51.100.1");
    assert.equal(a.of("fd00::5", ["2001:db8::1"]), "2001:db8::1");
    assert.equal(a.of("::ffff:10.0.0.1", "::ffff:198.51.100.9"), "198.51.100.9");
    // No header, or garbage in it: the proxy itself (or the last good hop).
    assert.equal(a.of("10.0.0.1", undefined), "10.0.0.1");
    assert.equal(a.of("10.0.0.1", "not-an-ip"), "10.0.0.1");
    assert.equal(a.of("10.0.0.1", "not-an-ip, 198.51.100.2"), "198.51.100.2");
  });

  it("anyone else's X-Forwarded-For is ignored", () => {
    const a = new ClientAddresses(["10.0.0.1"]);
    assert.equal(a.of("10.0.0.2", "198.51.100.1"), "10.0.0.2");
    assert.equal(a.of("203.0.113.7", "10.0.0.1"), "203.0.113.7");
  });

  it("x-axon-client-ip is believed only from a peer with the cluster's secret", () => {
    const req = (headers: Record<string, string>) => ({ socket: { remoteAddress: "10.0.0.2" }, headers });
    const a = new ClientAddresses([], "the secret");
    assert.equal(a.ofRequest(req({ "x-axon-forwarded": "the secret", "x-axon-client-ip": "::ffff:198.51.100.7" })), "198.51.100.7");
    assert.equal(a.ofRequest(req({ "x-axon-forwarded": "not it", "x-axon-client-ip": "198.51.100.7" })), "10.0.0.2");
    assert.equal(a.ofRequest(req({ "x-axon-client-ip": "198.51.100.7" })), "10.0.0.2");
    assert.equal(a.ofRequest(req({ "x-axon-forwarded": "the secret", "x-axon-client-ip": "garbage" })), "10.0.0.2");
    // One process (no secret): never believed, even when a client sends an empty one.
    assert.equal(new ClientAddresses([]).ofRequest(req({ "x-axon-forwarded": "", "x-axon-client-ip": "198.51.100.7" })), "10.0.0.2");
    assert.equal(secretMatches("", ""), false);
    assert.equal(secretMatches(["the secret"], "the secret"), false);
  });
});
