import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { specUnavailable } from "../spec-schemas";
import { SpecAudit } from "./spec-audit";

const skip = specUnavailable() ?? false;
if (skip) console.log(`# ${skip}`);

/** A fetch that answers every request with this JSON body. */
const answering = (body: unknown, status = 200): typeof fetch => async () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("SpecAudit", { skip }, () => {
  test("a spec-conforming /sync with a busy presence event passes", async () => {
    const sync = { next_batch: "s1", presence: { events: [{ type: "m.presence", sender: "@a:x", content: { presence: "org.matrix.msc3026.busy", last_active_ago: 3 } }] } };
    const audit = new SpecAudit(answering(sync));
    const res = await audit.fetch("http://h/_matrix/client/v3/sync?timeout=0");
    assert.equal((await res.json()).next_batch, "s1", "the client still gets the body");
    await audit.settle();
    assert.deepEqual(audit.problems, []);
    assert.equal(audit.checked, 1);
  });

  test("a /sync without next_batch, or with a bad presence event, is reported", async () => {
    const noBatch = new SpecAudit(answering({ rooms: {} }));
    await noBatch.fetch("http://h/_matrix/client/r0/sync");
    await noBatch.settle();
    assert.equal(noBatch.problems.length, 1, JSON.stringify(noBatch.problems));

    const badPresence = { next_batch: "s2", presence: { events: [{ type: "m.presence", sender: "@a:x", content: { presence: "dancing" } }] } };
    const audit = new SpecAudit(answering(badPresence));
    await audit.fetch("http://h/_matrix/client/v3/sync");
    await audit.settle();
    assert.equal(audit.problems.length, 1, JSON.stringify(audit.problems));
    assert.match(audit.problems[0] ?? "", /presence event/);
  });

  test("errors and unknown endpoints are not checked", async () => {
    const audit = new SpecAudit(answering({ errcode: "M_UNKNOWN" }, 400));
    await audit.fetch("http://h/_matrix/client/v3/sync");
    const other = new SpecAudit(answering({ whatever: 1 }));
    await other.fetch("http://h/_matrix/client/v3/pushrules/");
    await Promise.all([audit.settle(), other.settle()]);
    assert.equal(audit.checked + other.checked, 0);
  });
});
