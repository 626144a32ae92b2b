// Busy during calls on the client side, through a real Axon: MatrixRTC memberships, app-reported calls,
// an explicit choice during a call, and a crash mid-call.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { addUser, startLiveServer, waitFor, type LiveServer } from "../../server/test/e2e/harness";
import { autoBusy, AxonClient, CALLS_ACCOUNT_DATA, SyncLoop, type AutoBusy, type PresenceInfo } from "../src/index";

const PASSWORD = "correct horse battery";
const RTC = "org.matrix.msc3401.call.member";

describe("autoBusy against Axon", { timeout: 60_000 }, () => {
  let live: LiveServer;
  const running: { loop: SyncLoop; busy: AutoBusy }[] = [];
  before(async () => {
    // The server's own busy-during-calls is off: what happens here is the SDK's doing alone.
    live = await startLiveServer({ presence: { busy_during_calls: false } });
  });
  after(async () => {
    for (const r of running) {
      r.busy.stop();
      await r.loop.stop();
    }
    await live.close();
  });

  async function setup(tag: string): Promise<{ a: AxonClient; watcher: AxonClient; roomId: string }> {
    await addUser(live, `${tag}a`, PASSWORD);
    await addUser(live, `${tag}w`, PASSWORD);
    const a = await AxonClient.login(live.url, `${tag}a`, PASSWORD);
    const watcher = await AxonClient.login(live.url, `${tag}w`, PASSWORD);
    const roomId = await a.createRoom({ preset: "private_chat", invite: [watcher.userId], power_level_content_override: { events: { [RTC]: 0 } } });
    await watcher.joinRoom(roomId);
    return { a, watcher, roomId };
  }

  /** A's app: a sync loop (an idle device for the tests whose earlier state is away) with autoBusy on it. */
  function start(client: AxonClient, device: "offline" | "unavailable" = "offline"): { loop: SyncLoop; busy: AutoBusy } {
    const loop = new SyncLoop(client, { timeoutMs: 5_000, setPresence: device });
    const busy = autoBusy(client, loop);
    busy.on("error", (e) => console.error("autoBusy error", e));
    loop.start();
    const r = { loop, busy };
    running.push(r);
    return r;
  }

  /** Waits until the other user sees A's presence as `state` with `msg`. */
  async function seen(watcher: AxonClient, userId: string, state: string, msg: string | null): Promise<void> {
    let last: PresenceInfo | undefined;
    const deadline = Date.now() + 10_000;
    for (;;) {
      last = await watcher.getPresence(userId);
      if (last.state === state && last.statusMsg === msg) return;
      if (Date.now() > deadline) throw new Error(`presence of ${userId} is ${JSON.stringify(last)}, not ${state} ${msg}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  const membership = (client: AxonClient, roomId: string, content: Record<string, unknown>) =>
    client.sendStateEvent(roomId, RTC, `_${client.userId}_${client.session.deviceId}`, content);
  const joinedCall = (client: AxonClient) => ({
    application: "m.call",
    call_id: "",
    scope: "m.room",
    device_id: client.session.deviceId,
    expires: 3_600_000,
    focus_active: { type: "livekit", focus_selection: "oldest_membership" },
    foci_preferred: [],
  });

  it("a MatrixRTC membership makes A busy, and leaving it restores A's state and message from before", async () => {
    const { a, watcher, roomId } = await setup("rtc");
    await a.setPresence("unavailable", { statusMsg: "lunch" });
    const { busy } = start(a, "unavailable");
    await seen(watcher, a.userId, "unavailable", "lunch");
    await membership(a, roomId, joinedCall(a));
    await seen(watcher, a.userId, "busy", "In a call");
    assert.equal(busy.inCall, true);
    const record = await a.getAccountData(CALLS_ACCOUNT_DATA);
    assert.equal((record?.calls as string[]).length, 1, "the call in progress is kept in account data");
    await membership(a, roomId, {});
    await seen(watcher, a.userId, "unavailable", "lunch");
    await waitFor(() => !busy.inCall, "the call to end");
    assert.deepEqual((await a.getAccountData(CALLS_ACCOUNT_DATA))?.calls, []);
  });

  it("concurrent calls keep busy until the last ends; an app-reported call counts like any other", async () => {
    const { a, watcher, roomId } = await setup("two");
    await a.setPresence("online", { statusMsg: "around" });
    const { busy } = start(a);
    await busy.enterCall("jitsi-1");
    await seen(watcher, a.userId, "busy", "In a call");
    await membership(a, roomId, joinedCall(a));
    await waitFor(() => busy.activeCalls.length === 2, "both calls");
    await busy.leaveCall("jitsi-1");
    assert.equal((await watcher.getPresence(a.userId)).state, "busy", "one call is still on");
    await membership(a, roomId, {});
    await seen(watcher, a.userId, "online", "around");
  });

  it("an explicit choice during a call (from another device, or through autoBusy) is kept after the call", async () => {
    const { a, watcher } = await setup("exp");
    await a.setPresence("online", { statusMsg: null });
    const { busy } = start(a);
    await busy.enterCall("c1");
    await seen(watcher, a.userId, "busy", "In a call");
    const phone = await AxonClient.login(live.url, a.userId, PASSWORD);
    await phone.setPresence("busy", { statusMsg: "presenting" });
    await busy.leaveCall("c1");
    assert.equal(busy.inCall, false);
    // A restore would have made A online with no message.
    await seen(watcher, a.userId, "busy", "presenting");

    await busy.enterCall("c2");
    await seen(watcher, a.userId, "busy", "In a call");
    await busy.setPresence("busy", "deep work");
    await busy.leaveCall("c2");
    await seen(watcher, a.userId, "busy", "deep work");
  });

  it("after a crash mid-call, the next start finds no live call and restores the earlier state", async () => {
    const { a, watcher, roomId } = await setup("crash");
    await a.setPresence("unavailable", { statusMsg: "reading" });
    const first = start(a, "unavailable");
    await first.busy.enterCall("widget");
    await membership(a, roomId, joinedCall(a));
    await waitFor(() => first.busy.activeCalls.length === 2, "both calls");
    // The app dies: nothing is cleaned up. Then the call membership is gone (e.g. it expired elsewhere).
    first.busy.stop();
    await first.loop.stop();
    await membership(a, roomId, {});
    await seen(watcher, a.userId, "busy", "In a call");

    const again = new AxonClient(a.session);
    const second = start(again, "unavailable");
    await seen(watcher, a.userId, "unavailable", "reading");
    assert.equal(second.busy.inCall, false);
    assert.deepEqual((await a.getAccountData(CALLS_ACCOUNT_DATA))?.calls, []);
  });

  it("on a server without busy, a call makes A appear away (the MSC's fallback), and its end restores", async () => {
    const plain = await startLiveServer({ presence: { busy_presence: false } });
    try {
      await addUser(plain, "fba", PASSWORD);
      await addUser(plain, "fbw", PASSWORD);
      const a = await AxonClient.login(plain.url, "fba", PASSWORD);
      const watcher = await AxonClient.login(plain.url, "fbw", PASSWORD);
      const roomId = await a.createRoom({ preset: "private_chat", invite: [watcher.userId] });
      await watcher.joinRoom(roomId);
      await a.setPresence("online", { statusMsg: "around" });
      const { busy } = start(a);
      await busy.enterCall("jitsi");
      await seen(watcher, a.userId, "unavailable", "In a call");
      await busy.leaveCall("jitsi");
      await seen(watcher, a.userId, "online", "around");
    } finally {
      await plain.close();
    }
  });

  it("after a crash while the membership is still live, the next start stays busy until that call ends", async () => {
    const { a, watcher, roomId } = await setup("live");
    await a.setPresence("online", { statusMsg: "hi" });
    const first = start(a);
    await membership(a, roomId, joinedCall(a));
    await seen(watcher, a.userId, "busy", "In a call");
    first.busy.stop();
    await first.loop.stop();

    const second = start(new AxonClient(a.session));
    await waitFor(() => second.busy.inCall, "the live call to be adopted");
    assert.equal((await watcher.getPresence(a.userId)).state, "busy");
    await membership(a, roomId, {});
    await seen(watcher, a.userId, "online", "hi");
  });
});
