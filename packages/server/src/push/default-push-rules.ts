import type { UserId } from "@axon/protocol";
import type { PushAction, PushCondition, PushRule, Ruleset } from "./push-rule-types";

const notify = (sound?: string, highlight = false): PushAction[] => [
  "notify",
  ...(sound ? [{ set_tweak: "sound", value: sound }] : []),
  ...(highlight ? [{ set_tweak: "highlight" }] : []),
];
const eq = (key: string, pattern: string): PushCondition => ({ kind: "event_match", key, pattern });
const override = (rule_id: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule => ({
  rule_id,
  default: true,
  enabled,
  conditions,
  actions,
});

/** The spec's predefined push rules for a user (the "Default rules" section of the push notifications module). */
export function defaultPushRules(userId: UserId): Ruleset {
  const localpart = userId.slice(1, userId.indexOf(":"));
  return {
    override: [
      override(".m.rule.master", [], [], false),
      override(".m.rule.suppress_notices", [eq("content.msgtype", "m.notice")], []),
      override(".m.rule.invite_for_me", [eq("type", "m.room.member"), eq("content.membership", "invite"), eq("state_key", userId)], notify("default")),
      override(".m.rule.member_event", [eq("type", "m.room.member")], []),
      override(".m.rule.is_user_mention", [{ kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: userId }], notify("default", true)),
      override(".m.rule.contains_display_name", [{ kind: "contains_display_name" }], notify("default", true)),
      override(".m.rule.is_room_mention", [{ kind: "event_property_is", key: "content.m\\.mentions.room", value: true }, { kind: "sender_notification_permission", key: "room" }], notify(undefined, true)),
      override(".m.rule.roomnotif", [{ kind: "sender_notification_permission", key: "room" }, eq("content.body", "@room")], notify(undefined, true)),
      override(".m.rule.tombstone", [eq("type", "m.room.tombstone"), eq("state_key", "")], notify(undefined, true)),
      override(".m.rule.reaction", [eq("type", "m.reaction")], []),
      override(".m.rule.room.server_acl", [eq("type", "m.room.server_acl"), eq("state_key", "")], []),
      override(".m.rule.suppress_edits", [{ kind: "event_property_is", key: "content.m\\.relates_to.rel_type", value: "m.replace" }], []),
    ],
    content: [
      { rule_id: ".m.rule.contains_user_name", default: true, enabled: true, pattern: localpart, actions: notify("default", true) },
    ],
    room: [],
    sender: [],
    underride: [
      override(".m.rule.call", [eq("type", "m.call.invite")], notify("ring")),
      override(".m.rule.encrypted_room_one_to_one", [{ kind: "room_member_count", is: "2" }, eq("type", "m.room.encrypted")], notify("default")),
      override(".m.rule.room_one_to_one", [{ kind: "room_member_count", is: "2" }, eq("type", "m.room.message")], notify("default")),
      override(".m.rule.message", [eq("type", "m.room.message")], notify()),
      override(".m.rule.encrypted", [eq("type", "m.room.encrypted")], notify()),
    ],
  };
}
