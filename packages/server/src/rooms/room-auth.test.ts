import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MatrixError } from "@axon/protocol";
import { authorize, type ProtoEvent } from "./room-auth";
import { stateKeyOf, type RoomEvent } from "./room-event";

const A = "@a:t";
const B = "@b:t";
const C = "@c:t";

function room(members: Record<string, string>, opts: { joinRule?: string; users?: Record<string, number>; extra?: Record<string, unknown> } = {}) {
  const m = new Map<string, RoomEvent>();
  let n = 0;
  const put = (type: string, state_key: string, content: Record<string, unknown>) =>
    m.set(stateKeyOf(type, state_key), {
      event_id: `$${++n}`, room_id: "!r:t", sender: A, type, state_key, content, origin_server_ts: 0, depth: n, prev_events: [], auth_events: [], streamOrdering: n,
    });
  put("m.room.create", "", { creator: A, room_version: "10" });
  put("m.room.power_levels", "", { users: opts.users ?? { [A]: 100 }, events: { "m.room.name": 50 }, ...(opts.extra ?? {}) });
  put("m.room.join_rules", "", { join_rule: opts.joinRule ?? "invite" });
  for (const [u, ms] of Object.entries(members)) put("m.room.member", u, { membership: ms });
  return { get: (type: string, key: string) => m.get(stateKeyOf(type, key)) };
}

const allowed = (state: ReturnType<typeof room>, e: ProtoEvent) => {
  try {
    authorize(state, e);
    return true;
  } catch (err) {
    assert.ok(err instanceof MatrixError && err.status === 403 && err.errcode === "M_FORBIDDEN");
    return false;
  }
};
const member = (sender: string, target: string, membership: string): ProtoEvent => ({ type: "m.room.member", sender, state_key: target, content: { membership } });

describe("room authorization", () => {
  const cases: [string, ReturnType<typeof room>, ProtoEvent, boolean][] = [
    ["join an invite-only room uninvited", room({ [A]: "join" }), member(B, B, "join"), false],
    ["join an invite-only room when invited", room({ [A]: "join", [B]: "invite" }), member(B, B, "join"), true],
    ["join a public room", room({ [A]: "join" }, { joinRule: "public" }), member(B, B, "join"), true],
    ["join a public room while banned", room({ [A]: "join", [B]: "ban" }, { joinRule: "public" }), member(B, B, "join"), false],
    ["join on someone else's behalf", room({ [A]: "join" }, { joinRule: "public" }), member(A, B, "join"), false],
    ["invite by a member", room({ [A]: "join", [B]: "join" }), member(B, C, "invite"), true],
    ["invite by a non-member", room({ [A]: "join" }), member(B, C, "invite"), false],
    ["invite below the invite level", room({ [A]: "join", [B]: "join" }, { extra: { invite: 50 } }), member(B, C, "invite"), false],
    ["invite a banned user", room({ [A]: "join", [C]: "ban" }), member(A, C, "invite"), false],
    ["kick by an admin", room({ [A]: "join", [B]: "join" }), member(A, B, "leave"), true],
    ["kick by a peer", room({ [A]: "join", [B]: "join", [C]: "join" }), member(B, C, "leave"), false],
    ["kick someone with the same level", room({ [A]: "join", [B]: "join" }, { users: { [A]: 50, [B]: 50 } }), member(A, B, "leave"), false],
    ["ban by an admin", room({ [A]: "join", [B]: "join" }), member(A, B, "ban"), true],
    ["ban the admin", room({ [A]: "join", [B]: "join" }), member(B, A, "ban"), false],
    ["unban by an admin", room({ [A]: "join", [B]: "ban" }), member(A, B, "leave"), true],
    ["leave when joined", room({ [A]: "join", [B]: "join" }), member(B, B, "leave"), true],
    ["leave when never there", room({ [A]: "join" }), member(B, B, "leave"), false],
    ["message by a member", room({ [A]: "join", [B]: "join" }), { type: "m.room.message", sender: B, content: {} }, true],
    ["message by a non-member", room({ [A]: "join" }), { type: "m.room.message", sender: B, content: {} }, false],
    ["message below events_default", room({ [A]: "join", [B]: "join" }, { extra: { events_default: 10 } }), { type: "m.room.message", sender: B, content: {} }, false],
    ["name below its events level", room({ [A]: "join", [B]: "join" }), { type: "m.room.name", sender: B, state_key: "", content: {} }, false],
    ["name by the admin", room({ [A]: "join" }), { type: "m.room.name", sender: A, state_key: "", content: {} }, true],
    ["state below state_default", room({ [A]: "join", [B]: "join" }), { type: "x.custom", sender: B, state_key: "", content: {} }, false],
    ["state under another user's key", room({ [A]: "join" }), { type: "x.custom", sender: A, state_key: B, content: {} }, false],
    ["a second create", room({ [A]: "join" }), { type: "m.room.create", sender: A, state_key: "", content: {} }, false],
    [
      "raise someone above yourself",
      room({ [A]: "join", [B]: "join" }, { users: { [A]: 100, [B]: 50 } }),
      { type: "m.room.power_levels", sender: B, state_key: "", content: { users: { [A]: 100, [B]: 50, [C]: 60 }, events: { "m.room.name": 50 } } },
      false,
    ],
    [
      "demote a peer with the same level",
      room({ [A]: "join", [B]: "join" }, { users: { [A]: 100, [B]: 100 } }),
      { type: "m.room.power_levels", sender: A, state_key: "", content: { users: { [A]: 100, [B]: 0 }, events: { "m.room.name": 50 } } },
      false,
    ],
    [
      "promote someone up to your own level",
      room({ [A]: "join", [B]: "join" }),
      { type: "m.room.power_levels", sender: A, state_key: "", content: { users: { [A]: 100, [B]: 100 }, events: { "m.room.name": 50 } } },
      true,
    ],
  ];
  for (const [name, state, event, ok] of cases) {
    it(`${ok ? "allows" : "refuses"}: ${name}`, () => assert.equal(allowed(state, event), ok));
  }
});
