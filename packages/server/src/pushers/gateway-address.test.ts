import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayUrlProblem, isPrivateAddress, privateResolution } from "./gateway-address";
import { rejectedIn } from "./gateway-client";
import { notifyBody, tweaksOf } from "./notify-body";
import type { PusherRecord } from "./pusher-store";
import type { RoomEvent } from "../rooms/room-event";
import type { DeviceId, UserId } from "@axon/protocol";

describe("isPrivateAddress", () => {
  const rows: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.31.255.255", true],
    ["172.32.0.1", false],
    ["192.168.0.10", true],
    ["169.254.169.254", true],
    ["100.64.0.1", true],
    ["0.0.0.0", true],
    ["224.0.0.1", true],
    ["255.255.255.255", true],
    ["8.8.8.8", false],
    ["203.0.113.7", false],
    ["::", true],
    ["::1", true],
    ["fe80::1", true],
    ["fd00::1", true],
    ["ff02::1", true],
    ["::ffff:127.0.0.1", true],
    ["::ffff:7f00:1", true],
    ["::ffff:10.0.0.1", true],
    ["::ffff:8.8.8.8", false],
    ["2001:db8::1", false],
    ["2606:4700:4700::1111", false],
    ["not an address", false],
  ];
  for (const [address, expected] of rows) it(`${address} → ${expected}`, () => assert.equal(isPrivateAddress(address), expected));
});

describe("gatewayUrlProblem", () => {
  const path = "/_matrix/push/v1/notify";
  it("accepts http(s) URLs with the notify path on public hosts", () => {
    for (const u of [`https://push.example.org${path}`, `http://203.0.113.1:8080${path}`, `https://[2001:db8::2]${path}?a=b`]) assert.equal(gatewayUrlProblem(u, false), null, u);
  });
  it("refuses other schemes, paths and non-URLs whatever the switch", () => {
    for (const allow of [false, true]) {
      for (const u of ["", "push.example.org", `ftp://push.example.org${path}`, `file://${path}`, "https://push.example.org/", `https://push.example.org${path}/`]) {
        assert.ok(gatewayUrlProblem(u, allow), `${u} (allow ${allow})`);
      }
    }
  });
  it("refuses private hosts unless allowed, however they are written", () => {
    for (const host of ["localhost", "LOCALHOST", "a.localhost", "localhost.", "127.0.0.1", "127.1", "2130706433", "0x7f.1", "[::1]", "[::ffff:127.0.0.1]", "[0:0:0:0:0:0:0:1]", "10.0.0.1", "[fe80::1]"]) {
      const u = `http://${host}:8080${path}`;
      assert.match(gatewayUrlProblem(u, false) ?? "", /private/, u);
      assert.equal(gatewayUrlProblem(u, true), null, u);
    }
  });
});

describe("privateResolution", () => {
  const url = (host: string) => new URL(`https://${host}/_matrix/push/v1/notify`);
  it("names the private address any resolved address is", async () => {
    assert.equal(await privateResolution(url("gw.example"), async () => ["203.0.113.5", "10.0.0.7"]), "10.0.0.7");
    assert.equal(await privateResolution(url("gw.example"), async () => ["203.0.113.5", "2001:db8::5"]), null);
    assert.equal(await privateResolution(url("gw.example"), async () => ["::ffff:127.0.0.1"]), "::ffff:127.0.0.1");
  });
  it("judges literal addresses without resolving", async () => {
    const never = async (): Promise<string[]> => assert.fail("resolved");
    assert.equal(await privateResolution(url("127.0.0.1"), never), "127.0.0.1");
    assert.equal(await privateResolution(url("[::1]"), never), "::1");
    assert.equal(await privateResolution(url("203.0.113.5"), never), null);
    assert.equal(await privateResolution(url("localhost"), never), "localhost");
  });
  it("passes on a lookup failure (delivery retries it)", async () => {
    await assert.rejects(privateResolution(url("gw.example"), async () => Promise.reject(new Error("ENOTFOUND"))), /ENOTFOUND/);
  });
});

describe("notify body pieces", () => {
  it("reads the gateway's rejected list and nothing else", () => {
    assert.deepEqual(rejectedIn('{"rejected":["a","b"]}'), ["a", "b"]);
    assert.deepEqual(rejectedIn('{"rejected":["a",5,null]}'), ["a"]);
    for (const text of ["", "nope", "[]", '{"rejected":"a"}', "null", "{}"]) assert.deepEqual(rejectedIn(text), [], text);
  });

  it("turns set_tweak actions into tweaks (a tweak without value is true)", () => {
    assert.deepEqual(tweaksOf(["notify", { set_tweak: "sound", value: "default" }, { set_tweak: "highlight" }]), { sound: "default", highlight: true });
    assert.deepEqual(tweaksOf(["notify", { set_tweak: "highlight", value: false }]), { highlight: false });
    assert.deepEqual(tweaksOf([]), {});
  });

  it("leaves out zero counts and a member event's user_is_target says whether it is about the recipient", () => {
    const event = { event_id: "$e", room_id: "!r:x", sender: "@b:x", type: "m.room.member", state_key: "@a:x", content: { membership: "invite" } } as unknown as RoomEvent;
    const pusher: PusherRecord = {
      userId: "@a:x" as UserId,
      deviceId: "D" as DeviceId,
      appId: "app",
      pushkey: "k",
      kind: "http",
      appDisplayName: "A",
      deviceDisplayName: "P",
      profileTag: null,
      lang: "en",
      data: { url: "https://gw.example/_matrix/push/v1/notify" },
      ts: 5_500,
    };
    const body = notifyBody({ event, recipient: "@a:x", highlight: false, actions: ["notify"], unread: 0, senderDisplayName: null, roomName: null, roomAlias: "#r:x" }, pusher);
    assert.deepEqual(body.notification, {
      event_id: "$e",
      room_id: "!r:x",
      prio: "low",
      counts: {},
      devices: [{ app_id: "app", pushkey: "k", pushkey_ts: 5, data: {}, tweaks: {} }],
      type: "m.room.member",
      sender: "@b:x",
      room_alias: "#r:x",
      user_is_target: true,
      content: { membership: "invite" },
    });
  });
});
