// Extended profiles (spec v1.16, MSC4133) and MSC4426's call field as matrix-js-sdk 37.5.0 sees them, against a real Axon.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Method, Preset, type MatrixClient } from "matrix-js-sdk";
import { addUser, startLiveServer, type LiveServer } from "./harness";
import { assertAuditClean, loginClient } from "./js-sdk-client";
import { SpecAudit } from "./spec-audit";

const PASSWORD = "correct horse battery";
const STATUS = "org.matrix.msc4426.status";
const CALL = "org.matrix.msc4426.call";
const RTC_MEMBER = "org.matrix.msc3401.call.member";

/** The errcode the SDK's rejection carries (a MatrixError), or the message. */
async function errcodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { errcode?: string }).errcode ?? String(err);
  }
  return "(no error)";
}

/** Polls the field through the SDK until `want` accepts it (the server writes it just after the event). */
async function fieldEventually(client: MatrixClient, userId: string, want: (v: unknown) => boolean, what: string): Promise<unknown> {
  const until = Date.now() + 10_000;
  for (;;) {
    const v: unknown = await client.getExtendedProfileProperty(userId, CALL).catch((err: { errcode?: string }) => {
      if (err.errcode === "M_NOT_FOUND") return undefined;
      throw err;
    });
    if (want(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; the field is ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("matrix-js-sdk 37.5.0 and extended profiles", { timeout: 60_000 }, () => {
  let live: LiveServer;
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    await live.close();
  });

  test("the SDK finds extended profiles, and sets, reads and deletes a status through its own calls", async () => {
    await addUser(live, "xpalice", PASSWORD);
    const bobId = await addUser(live, "xpbob", PASSWORD);
    const audit = new SpecAudit();
    const alice = await loginClient(live.url, "xpalice", PASSWORD, audit);
    const bob = await loginClient(live.url, "xpbob", PASSWORD, audit);
    assert.equal(await bob.doesServerSupportExtendedProfiles(), true);

    const status = { text: "Deep work", emoji: "🎧" };
    await bob.setExtendedProfileProperty(STATUS, status);
    await bob.setExtendedProfileProperty("m.tz", "Europe/Berlin");
    await bob.setDisplayName("Bob B");
    assert.deepEqual(await alice.getExtendedProfileProperty(bobId, STATUS), status);
    assert.deepEqual(await alice.getExtendedProfile(bobId), { displayname: "Bob B", "m.tz": "Europe/Berlin", [STATUS]: status });
    assert.equal((await alice.getProfileInfo(bobId)).displayname, "Bob B");

    await bob.deleteExtendedProfileProperty(STATUS);
    assert.equal(await errcodeOf(alice.getExtendedProfileProperty(bobId, STATUS)), "M_NOT_FOUND");
    // Writing someone else's profile is refused (the SDK always writes its own: a raw request).
    const path = `/profile/${encodeURIComponent(bobId)}/${STATUS}`;
    assert.equal(await errcodeOf(alice.http.authedRequest(Method.Put, path, undefined, { [STATUS]: status })), "M_FORBIDDEN");
    assert.equal(await errcodeOf(bob.setExtendedProfileProperty("Not A Key", 1)), "M_INVALID_PARAM");
    await assertAuditClean(audit);
  });

  test("a MatrixRTC membership through the server sets the call field on the caller's profile; leaving clears it", async () => {
    await addUser(live, "xpcarol", PASSWORD);
    const daveId = await addUser(live, "xpdave", PASSWORD);
    const audit = new SpecAudit();
    const carol = await loginClient(live.url, "xpcarol", PASSWORD, audit);
    const dave = await loginClient(live.url, "xpdave", PASSWORD, audit);
    // Dave's own client knows nothing of MSC4426; it only joins a call, as Element Call's widget does.
    const { room_id: roomId } = await dave.createRoom({ preset: Preset.PrivateChat, power_level_content_override: { events: { [RTC_MEMBER]: 0 } } });
    const stateKey = `_${daveId}_${dave.getDeviceId()}`;
    const membership = (content: Record<string, unknown>) =>
      dave.http.authedRequest(Method.Put, `/rooms/${encodeURIComponent(roomId)}/state/${RTC_MEMBER}/${encodeURIComponent(stateKey)}`, undefined, content);
    const before = Math.floor(Date.now() / 1000);
    await membership({
      application: "m.call",
      call_id: "",
      scope: "m.room",
      device_id: dave.getDeviceId(),
      focus_active: { type: "livekit", focus_selection: "oldest_membership" },
      foci_preferred: [],
      expires: 3_600_000,
    });
    const field = (await fieldEventually(carol, daveId, (v) => v !== undefined, "Dave's call field")) as { call_joined_ts: number };
    assert.deepEqual(Object.keys(field), ["call_joined_ts"]);
    assert.ok(field.call_joined_ts >= before && field.call_joined_ts <= Math.floor(Date.now() / 1000), `call_joined_ts ${field.call_joined_ts} is in seconds, now`);
    assert.deepEqual((await carol.getExtendedProfile(daveId))[CALL], field);

    await membership({});
    await fieldEventually(carol, daveId, (v) => v === undefined, "Dave's call field to go");
    assert.equal(await errcodeOf(carol.getExtendedProfileProperty(daveId, STATUS)), "M_NOT_FOUND", "the server never writes the status");
    await assertAuditClean(audit);
  });
});
