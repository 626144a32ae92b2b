import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UserId } from "@axon/protocol";
import { defaultPushRules } from "./default-push-rules";
import { conditionHolds, evaluatePush, propertyOf, type PushContext, type PushEvent } from "./push-rule-evaluator";
import type { Ruleset } from "./push-rule-types";

const ME = "@alice:example.org" as UserId;
const ctx = (over: Partial<PushContext> = {}): PushContext => ({
  userId: ME,
  displayName: "Alice Smith",
  memberCount: 3,
  senderPowerLevel: 0,
  notificationLevels: {},
  ...over,
});
const ev = (type: string, content: Record<string, unknown>, over: Partial<PushEvent> = {}): PushEvent => ({
  type,
  sender: "@bob:example.org",
  room_id: "!r:example.org",
  content,
  ...over,
});
const msg = (body: string, extra: Record<string, unknown> = {}) => ev("m.room.message", { msgtype: "m.text", body, ...extra });

/** [what, event, context, rule that decides, notify, highlight, sound] */
type Row = [string, PushEvent, PushContext, string | null, boolean, boolean, string | null];

const rows: Row[] = [
  ["a message in a group", msg("hello all"), ctx(), ".m.rule.message", true, false, null],
  ["a message in a one-to-one room", msg("hi"), ctx({ memberCount: 2 }), ".m.rule.room_one_to_one", true, false, "default"],
  ["an encrypted one-to-one message", ev("m.room.encrypted", { algorithm: "m.megolm.v1.aes-sha2" }), ctx({ memberCount: 2 }), ".m.rule.encrypted_room_one_to_one", true, false, "default"],
  ["an encrypted group message", ev("m.room.encrypted", {}), ctx({ memberCount: 5 }), ".m.rule.encrypted", true, false, null],
  ["a notice (bots)", msg("build passed", { msgtype: "m.notice" }), ctx(), ".m.rule.suppress_notices", false, false, null],
  ["my display name as a word", msg("ping Alice Smith, please"), ctx(), ".m.rule.contains_display_name", true, true, "default"],
  ["my display name inside a word", msg("xAlice Smithy"), ctx(), ".m.rule.message", true, false, null],
  ["my display name, but the event says who it mentions", msg("Alice Smith", { "m.mentions": {} }), ctx(), ".m.rule.message", true, false, null],
  ["my user name as a word", msg("alice: lunch?"), ctx({ displayName: null }), ".m.rule.contains_user_name", true, true, "default"],
  ["my user name inside a word", msg("malice aforethought"), ctx({ displayName: null }), ".m.rule.message", true, false, null],
  ["an intentional mention of me", msg("see this", { "m.mentions": { user_ids: [ME] } }), ctx(), ".m.rule.is_user_mention", true, true, "default"],
  ["an intentional mention of someone else", msg("see this", { "m.mentions": { user_ids: ["@carol:example.org"] } }), ctx(), ".m.rule.message", true, false, null],
  ["@room from a moderator", msg("@room meeting now"), ctx({ senderPowerLevel: 50 }), ".m.rule.roomnotif", true, true, null],
  ["@room from someone without the power", msg("@room meeting now"), ctx({ senderPowerLevel: 0 }), ".m.rule.message", true, false, null],
  ["@room when the room asks for more power", msg("@room hi"), ctx({ senderPowerLevel: 50, notificationLevels: { room: 100 } }), ".m.rule.message", true, false, null],
  ["an intentional room mention", msg("all", { "m.mentions": { room: true } }), ctx({ senderPowerLevel: 100 }), ".m.rule.is_room_mention", true, true, null],
  ["an invite for me", ev("m.room.member", { membership: "invite" }, { state_key: ME }), ctx(), ".m.rule.invite_for_me", true, false, "default"],
  ["someone else's membership", ev("m.room.member", { membership: "join" }, { state_key: "@carol:example.org" }), ctx(), ".m.rule.member_event", false, false, null],
  ["a call", ev("m.call.invite", { call_id: "c" }), ctx({ memberCount: 2 }), ".m.rule.call", true, false, "ring"],
  ["a reaction", ev("m.reaction", { "m.relates_to": { rel_type: "m.annotation" } }), ctx(), ".m.rule.reaction", false, false, null],
  ["an edit", msg("* fixed", { "m.relates_to": { rel_type: "m.replace", event_id: "$e" } }), ctx(), ".m.rule.suppress_edits", false, false, null],
  ["a tombstone", ev("m.room.tombstone", { body: "moved" }, { state_key: "" }), ctx(), ".m.rule.tombstone", true, true, null],
  ["anything else", ev("org.example.custom", {}), ctx(), null, false, false, null],
];

describe("push rules: the spec's default rules", () => {
  for (const [what, event, c, ruleId, notify, highlight, sound] of rows) {
    it(what, () => {
      const out = evaluatePush(defaultPushRules(ME), event, c);
      assert.equal(out.ruleId, ruleId, "deciding rule");
      assert.equal(out.notify, notify, "notify");
      assert.equal(out.highlight, highlight, "highlight");
      assert.equal(out.sound, sound, "sound");
    });
  }

  it("the master rule, once enabled, silences everything", () => {
    const rules = defaultPushRules(ME);
    rules.override[0]!.enabled = true;
    const out = evaluatePush(rules, msg("Alice Smith!"), ctx({ memberCount: 2 }));
    assert.equal(out.ruleId, ".m.rule.master");
    assert.equal(out.notify, false);
  });
});

describe("push rules: the user's own rules", () => {
  const withUser = (extra: Partial<Ruleset>): Ruleset => {
    const base = defaultPushRules(ME);
    return { ...base, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, [...v!, ...base[k as keyof Ruleset]]])) } as Ruleset;
  };

  it("a room rule mutes a room; a sender rule rings for one person; a content rule matches words by glob", () => {
    const rules = withUser({
      room: [{ rule_id: "!r:example.org", default: false, enabled: true, actions: [] }],
      sender: [{ rule_id: "@boss:example.org", default: false, enabled: true, actions: ["notify", { set_tweak: "sound", value: "loud" }] }],
      content: [{ rule_id: "cake", default: false, enabled: true, pattern: "cake*lie", actions: ["notify", { set_tweak: "highlight", value: true }] }],
    });
    assert.equal(evaluatePush(rules, msg("hello"), ctx()).notify, false, "the muted room");
    const other = { room_id: "!other:example.org" };
    const boss = evaluatePush(rules, { ...msg("hello"), ...other, sender: "@boss:example.org" }, ctx());
    assert.deepEqual([boss.ruleId, boss.notify, boss.sound], ["@boss:example.org", true, "loud"]);
    const cake = evaluatePush(rules, { ...msg("the Cake is a lie!"), ...other }, ctx());
    assert.deepEqual([cake.ruleId, cake.highlight], ["cake", true]);
    assert.equal(evaluatePush(rules, { ...msg("pancake is a lie"), ...other }, ctx()).ruleId, ".m.rule.message", "words only");
  });

  it("a disabled rule is skipped; an override with no conditions matches everything", () => {
    const rules = withUser({
      override: [
        { rule_id: "off", default: false, enabled: false, conditions: [], actions: ["notify", { set_tweak: "sound", value: "x" }] },
        { rule_id: "all", default: false, enabled: true, conditions: [], actions: ["dont_notify"] },
      ],
    });
    const out = evaluatePush(rules, msg("hi"), ctx());
    assert.deepEqual([out.ruleId, out.notify], ["all", false]);
  });
});

describe("push conditions", () => {
  const e = ev("m.room.message", { body: "Hello World", "m.mentions": { user_ids: ["@a:x"], room: false }, n: 1, flag: true, nothing: null, "a.b": { c: "dot" } });

  it("dotted keys with escapes", () => {
    assert.equal(propertyOf(e, "content.body"), "Hello World");
    assert.deepEqual(propertyOf(e, "content.m\\.mentions.user_ids"), ["@a:x"]);
    assert.equal(propertyOf(e, "content.a\\.b.c"), "dot");
    assert.equal(propertyOf(e, "content.missing.deeper"), undefined);
    assert.equal(propertyOf(e, "content.body.length"), undefined, "no reading into strings");
    assert.equal(propertyOf(e, "content.__proto__"), undefined, "no prototype keys");
  });

  it("event_match: globs, whole values except the body's words, case-insensitive, strings only", () => {
    const m = (key: string, pattern: string) => conditionHolds({ kind: "event_match", key, pattern }, e, ctx());
    assert.equal(m("type", "m.room.*"), true);
    assert.equal(m("type", "m.room"), false, "whole value");
    assert.equal(m("type", "M.ROOM.MESSAG?"), true);
    assert.equal(m("content.body", "world"), true, "a word of the body");
    assert.equal(m("content.body", "wor"), false);
    assert.equal(m("content.body", "wor*"), true);
    assert.equal(m("content.n", "1"), false, "numbers are not strings");
  });

  it("event_property_is and _contains compare exact scalars", () => {
    const is = (key: string, value: unknown) => conditionHolds({ kind: "event_property_is", key, value }, e, ctx());
    assert.equal(is("content.n", 1), true);
    assert.equal(is("content.n", "1"), false);
    assert.equal(is("content.flag", true), true);
    assert.equal(is("content.nothing", null), true);
    assert.equal(is("content.missing", null), false);
    assert.equal(is("content.m\\.mentions.room", false), true);
    const has = (value: unknown) => conditionHolds({ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value }, e, ctx());
    assert.equal(has("@a:x"), true);
    assert.equal(has("@b:x"), false);
  });

  it("room_member_count forms, and unknown kinds never hold", () => {
    const n = (is: string, count: number) => conditionHolds({ kind: "room_member_count", is }, e, ctx({ memberCount: count }));
    assert.deepEqual([n("2", 2), n("==2", 3), n("<3", 2), n(">2", 2), n(">=2", 2), n("<=1", 2), n("two", 2)], [true, false, true, false, true, false, false]);
    assert.equal(conditionHolds({ kind: "org.example.future" }, e, ctx()), false);
    assert.equal(conditionHolds({ kind: "event_match", key: "type" }, e, ctx()), false, "no pattern");
  });
});
