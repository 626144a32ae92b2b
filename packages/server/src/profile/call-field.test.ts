import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { FakeClock } from "../clock";
import { createLogger } from "../log";
import { freshDatabase, type TestDatabase } from "../../test/databases";
import type { OpenDatabase } from "../storage/database";
import { SqlProfileFieldStore } from "../storage/sql-profile-field-store";
import { CALL_FIELD, CallProfileField, type CallSource } from "./call-field";
import { ProfileFieldService, type ProfileAccounts } from "./profile-field-service";

const A = "@a:t" as UserId;
const B = "@b:t" as UserId;

/** Stands in for the presence service: the test says when calls start and end. */
class Calls implements CallSource {
  private listeners: ((userId: UserId, inCall: boolean) => void)[] = [];
  onCallsChanged(listener: (userId: UserId, inCall: boolean) => void): void {
    this.listeners.push(listener);
  }
  emit(userId: UserId, inCall: boolean): void {
    for (const l of this.listeners) l(userId, inCall);
  }
}

const accounts: ProfileAccounts = {
  getUser: async () => ({ displayname: null, avatarUrl: null }),
  setProfile: async () => {},
};

describe("CallProfileField", () => {
  let tdb: TestDatabase;
  let open: OpenDatabase;
  let fields: ProfileFieldService;
  let clock: FakeClock;
  let calls: Calls;
  let follower: CallProfileField;

  before(async () => {
    tdb = await freshDatabase("sqlite");
    open = await tdb.open();
  });
  after(async () => {
    await open.close();
    await tdb.cleanup();
  });
  beforeEach(async () => {
    await open.db.deleteFrom("profile_fields").execute();
    fields = new ProfileFieldService(new SqlProfileFieldStore(open.db), accounts);
    clock = new FakeClock(1_700_000_123_456);
    calls = new Calls();
    follower = new CallProfileField(fields, clock, createLogger("silent"));
    await follower.start(calls, true);
  });

  const field = async (u: UserId) => (await fields.profile(u))?.[CALL_FIELD];

  it("sets call_joined_ts (seconds) when the first call starts and removes it when the last ends", async () => {
    calls.emit(A, true);
    await follower.settled();
    assert.deepEqual(await field(A), { call_joined_ts: 1_700_000_123 });
    assert.equal(await field(B), undefined);
    calls.emit(A, false);
    await follower.settled();
    assert.equal(await field(A), undefined);
  });

  it("applies a start and an end in the order they happened, even without waiting in between", async () => {
    calls.emit(A, true);
    calls.emit(A, false);
    calls.emit(B, true);
    calls.emit(B, false);
    calls.emit(B, true);
    await follower.settled();
    assert.equal(await field(A), undefined);
    assert.deepEqual(await field(B), { call_joined_ts: 1_700_000_123 });
  });

  it("leaves a value the user set alone: not overwritten at the start, not removed at the end", async () => {
    await fields.set(A, CALL_FIELD, { call_joined_ts: 42 });
    calls.emit(A, true);
    await follower.settled();
    assert.deepEqual(await field(A), { call_joined_ts: 42 });
    calls.emit(A, false);
    await follower.settled();
    assert.deepEqual(await field(A), { call_joined_ts: 42 });
  });

  it("a user who replaces the server's value during the call keeps it after the call", async () => {
    calls.emit(A, true);
    await follower.settled();
    await fields.set(A, CALL_FIELD, { call_joined_ts: 7, note: "mine" });
    calls.emit(A, false);
    await follower.settled();
    assert.deepEqual(await field(A), { call_joined_ts: 7, note: "mine" });
  });

  it("never writes the user's status field", async () => {
    await fields.set(A, "org.matrix.msc4426.status", { text: "lunch", emoji: "🥪" });
    calls.emit(A, true);
    calls.emit(A, false);
    await follower.settled();
    assert.deepEqual(await fields.profile(A), { "org.matrix.msc4426.status": { text: "lunch", emoji: "🥪" } });
  });

  it("at start, removes the call fields the server set before (the tracker starts with no calls), not the users' own", async () => {
    calls.emit(A, true);
    await fields.set(B, CALL_FIELD, { call_joined_ts: 1 });
    await follower.settled();
    const restarted = new CallProfileField(fields, clock, createLogger("silent"));
    await restarted.start(new Calls(), true);
    assert.equal(await field(A), undefined);
    assert.deepEqual(await field(B), { call_joined_ts: 1 });
  });

  it("when not following (call_profile_field: false), calls change nothing", async () => {
    const quiet = new Calls();
    const off = new CallProfileField(fields, clock, createLogger("silent"));
    await off.start(quiet, false);
    quiet.emit(A, true);
    await off.settled();
    assert.equal(await field(A), undefined);
  });

  it("does not write the field when it would take the profile over 64 KiB", async () => {
    await fields.set(A, "org.example.big", "x".repeat(64 * 1024 - 30));
    calls.emit(A, true);
    await follower.settled();
    assert.equal(await field(A), undefined);
    assert.notEqual((await fields.profile(A))?.["org.example.big"], undefined);
  });
});
