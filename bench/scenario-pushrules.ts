// Push rules through the evaluator for every member of one big room: how many room events a second
// one core can decide notifications for (no server, no I/O: the pure module alone).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { UserId } from "@axon/protocol";
import { defaultPushRules } from "../packages/server/src/push/default-push-rules";
import { evaluatePush, type PushContext, type PushEvent } from "../packages/server/src/push/push-rule-evaluator";
import type { Ruleset } from "../packages/server/src/push/push-rule-types";

export interface PushRulesOptions {
  members: number;
  durationS: number;
  out: string;
}

export interface PushRulesResult {
  scenario: "pushrules";
  started_at: string;
  options: PushRulesOptions;
  room_events: number;
  evaluations: number;
  notifications: number;
  highlights: number;
  room_events_per_s: number;
  evaluations_per_s: number;
  us_per_evaluation: number;
}

/** The mix a busy team room sees: plain messages, mentions by name and intentionally, @room, encrypted, edits, reactions. */
function eventMix(members: UserId[]): PushEvent[] {
  const room_id = "!big:bench.test";
  const out: PushEvent[] = [];
  for (let i = 0; i < 100; i++) {
    const sender = members[(i * 7) % members.length]!;
    const target = members[(i * 13 + 1) % members.length]!;
    const body = ["status update on the release", `thanks ${target.slice(1, target.indexOf(":"))}!`, "@room standup in 5", "Member 42 can you look?"][i % 4]!;
    out.push({ type: "m.room.message", sender, room_id, content: { msgtype: "m.text", body } });
    if (i % 5 === 0) out.push({ type: "m.room.message", sender, room_id, content: { msgtype: "m.text", body: "see", "m.mentions": { user_ids: [target] } } });
    if (i % 3 === 0) out.push({ type: "m.room.encrypted", sender, room_id, content: { algorithm: "m.megolm.v1.aes-sha2", ciphertext: "x" } });
    if (i % 4 === 0) out.push({ type: "m.reaction", sender, room_id, content: { "m.relates_to": { rel_type: "m.annotation", key: "👍" } } });
    if (i % 6 === 0) out.push({ type: "m.room.message", sender, room_id, content: { body: "* fix", "m.relates_to": { rel_type: "m.replace", event_id: "$x" } } });
  }
  return out;
}

export function runPushRules(o: PushRulesOptions): PushRulesResult {
  const members = Array.from({ length: o.members }, (_, i) => `@member${i}:bench.test` as UserId);
  // Every member has their own ruleset (as stored rules would be); some mute a word or ring for a sender.
  const rules: Ruleset[] = members.map((m, i) => {
    const r = defaultPushRules(m);
    if (i % 10 === 0) r.content.unshift({ rule_id: "release", default: false, enabled: true, pattern: "release*", actions: ["notify", { set_tweak: "highlight" }] });
    if (i % 25 === 0) r.sender.unshift({ rule_id: members[0]!, default: false, enabled: true, actions: ["notify", { set_tweak: "sound", value: "default" }] });
    return r;
  });
  const contexts: PushContext[] = members.map((m, i) => ({
    userId: m,
    displayName: `Member ${i}`,
    memberCount: o.members,
    senderPowerLevel: 50,
    notificationLevels: {},
  }));
  const events = eventMix(members);
  const started_at = new Date().toISOString();
  let roomEvents = 0;
  let evaluations = 0;
  let notifications = 0;
  let highlights = 0;
  const t0 = performance.now();
  const end = t0 + o.durationS * 1000;
  while (performance.now() < end) {
    const e = events[roomEvents % events.length]!;
    for (let i = 0; i < members.length; i++) {
      if (members[i] === e.sender) continue;
      const out = evaluatePush(rules[i]!, e, contexts[i]!);
      evaluations++;
      if (out.notify) notifications++;
      if (out.highlight) highlights++;
    }
    roomEvents++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: PushRulesResult = {
    scenario: "pushrules",
    started_at,
    options: o,
    room_events: roomEvents,
    evaluations,
    notifications,
    highlights,
    room_events_per_s: Math.round(roomEvents / seconds),
    evaluations_per_s: Math.round(evaluations / seconds),
    us_per_evaluation: Math.round((seconds * 1e6 * 1000) / evaluations) / 1000,
  };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, `pushrules-${started_at.replace(/[:.]/g, "-")}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
