import assert from "node:assert/strict";
import { test } from "node:test";
import { testSigner } from "../../test/e2ee-support";
import { canonicalJson, verifySigned } from "./signing";

test("canonical JSON sorts keys at every depth and drops whitespace", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, "x"], c: null } }), '{"a":{"c":null,"d":[1,"x"]},"b":1}');
  assert.equal(canonicalJson({ "日": 1, a: "\u00e9" }), '{"a":"é","日":1}');
});

test("verifySigned accepts the signer's signature and refuses a changed object or another key", () => {
  const s = testSigner();
  const other = testSigner();
  const signed = s.sign({ user_id: "@a:x", keys: { "ed25519:D": s.pub } }, "@a:x", "ed25519:D");
  assert.equal(verifySigned(signed, "@a:x", "ed25519:D", s.pub), true);
  assert.equal(verifySigned({ ...signed, unsigned: { anything: 1 } }, "@a:x", "ed25519:D", s.pub), true);
  assert.equal(verifySigned({ ...signed, user_id: "@b:x" }, "@a:x", "ed25519:D", s.pub), false);
  assert.equal(verifySigned(signed, "@a:x", "ed25519:D", other.pub), false);
  assert.equal(verifySigned(signed, "@a:x", "ed25519:E", s.pub), false);
  assert.equal(verifySigned(signed, "@a:x", "ed25519:D", "not base64!"), false);
});
