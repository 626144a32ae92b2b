/** Push rules as the spec shapes them (the push notifications module). */
export type RuleKind = "override" | "content" | "room" | "sender" | "underride";
export const RULE_KINDS: readonly RuleKind[] = ["override", "content", "room", "sender", "underride"];

export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: unknown;
}

/** An action: "notify", legacy "dont_notify"/"coalesce", or a tweak such as `{ set_tweak: "sound", value: "default" }`. */
export type PushAction = string | { set_tweak: string; value?: unknown };

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export type Ruleset = Record<RuleKind, PushRule[]>;
