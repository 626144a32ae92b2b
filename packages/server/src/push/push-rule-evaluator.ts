import type { PushAction, PushCondition, PushRule, Ruleset } from "./push-rule-types";
import { RULE_KINDS } from "./push-rule-types";

/** What an event's recipient and room look like to the rules. */
export interface PushContext {
  userId: string;
  /** The recipient's display name in the room, if any. */
  displayName: string | null;
  memberCount: number;
  /** The sender's power level, and the levels `notifications.*` requires (default 50 each). */
  senderPowerLevel: number;
  notificationLevels: Record<string, number>;
}

export interface PushEvent {
  type: string;
  sender: string;
  room_id: string;
  state_key?: string;
  content: Record<string, unknown>;
}

/** Read-only: the same object is returned for every event a rule decides. */
export interface PushOutcome {
  /** The rule that matched, or null when none did. */
  ruleId: string | null;
  notify: boolean;
  highlight: boolean;
  sound: string | null;
  actions: PushAction[];
}

/** Rules that the intentional-mentions change (spec v1.7) limits to events without `m.mentions`. */
const LEGACY_MENTION_RULES = new Set([".m.rule.contains_display_name", ".m.rule.contains_user_name", ".m.rule.roomnotif"]);

type Test = (event: PushEvent, ctx: PushContext, facts: EventFacts) => boolean;

interface CompiledRule {
  legacyMention: boolean;
  test: Test;
  /** What the rule decides, worked out once (shared: never changed by callers). */
  outcome: PushOutcome;
}

/** What every recipient's rules read of one event, worked out once per event. */
interface EventFacts {
  hasMentions: boolean;
  /** content.body in lower case, or null when it is not a string. */
  bodyLower: string | null;
}

const compiledRulesets = new WeakMap<Ruleset, CompiledRule[]>();
const eventFacts = new WeakMap<PushEvent, EventFacts>();

/**
 * Runs the user's rules over one event, kinds in the spec's order and rules in list order; the first
 * enabled rule that matches decides. Pure: everything it needs comes in the arguments. A ruleset is
 * compiled once (keys split, patterns prepared) and reused while the same object is passed, and what
 * all recipients read of an event is worked out once per event object.
 */
export function evaluatePush(rules: Ruleset, event: PushEvent, ctx: PushContext): PushOutcome {
  let compiled = compiledRulesets.get(rules);
  if (!compiled) compiledRulesets.set(rules, (compiled = compileRuleset(rules)));
  let facts = eventFacts.get(event);
  if (!facts) {
    const body = event.content.body;
    eventFacts.set(event, (facts = { hasMentions: typeof event.content["m.mentions"] === "object" && event.content["m.mentions"] !== null, bodyLower: typeof body === "string" ? body.toLowerCase() : null }));
  }
  for (const c of compiled) {
    if (facts.hasMentions && c.legacyMention) continue;
    if (c.test(event, ctx, facts)) return c.outcome;
  }
  return NO_MATCH;
}

/** The enabled rules, in evaluation order, each with its test prepared. */
function compileRuleset(rules: Ruleset): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const kind of RULE_KINDS) {
    for (const rule of rules[kind] ?? []) {
      if (!rule.enabled) continue;
      out.push({ legacyMention: LEGACY_MENTION_RULES.has(rule.rule_id), test: compileRule(kind, rule), outcome: outcome(rule.rule_id, rule.actions) });
    }
  }
  return out;
}

const never: Test = () => false;
const NO_MATCH: PushOutcome = Object.freeze({ ruleId: null, notify: false, highlight: false, sound: null, actions: [] });

function compileRule(kind: string, rule: PushRule): Test {
  switch (kind) {
    case "room":
      return (e) => e.room_id === rule.rule_id;
    case "sender":
      return (e) => e.sender === rule.rule_id;
    case "content":
      return typeof rule.pattern === "string" ? bodyWords(rule.pattern) : never;
    default: {
      const tests = (rule.conditions ?? []).map(compileCondition);
      return (e, ctx, facts) => {
        for (const t of tests) if (!t(e, ctx, facts)) return false;
        return true;
      };
    }
  }
}

/** One condition; a kind this server does not know never holds (as the spec asks). */
export function conditionHolds(c: PushCondition, event: PushEvent, ctx: PushContext): boolean {
  const body = event.content.body;
  return compileCondition(c)(event, ctx, { hasMentions: false, bodyLower: typeof body === "string" ? body.toLowerCase() : null });
}

function compileCondition(c: PushCondition): Test {
  switch (c.kind) {
    case "event_match": {
      if (typeof c.key !== "string" || typeof c.pattern !== "string") return never;
      if (c.key === "content.body") return bodyWords(c.pattern);
      const parts = splitKey(c.key);
      const pattern = c.pattern;
      if (!/[*?]/.test(pattern)) {
        const lower = pattern.toLowerCase();
        return (e) => {
          const v = valueAt(e, parts);
          return typeof v === "string" && v.toLowerCase() === lower;
        };
      }
      const re = new RegExp(`^${globSource(pattern)}$`, "is");
      return (e) => {
        const v = valueAt(e, parts);
        return typeof v === "string" && re.test(v);
      };
    }
    case "event_property_is": {
      if (typeof c.key !== "string") return never;
      const parts = splitKey(c.key);
      return (e) => sameValue(valueAt(e, parts), c.value);
    }
    case "event_property_contains": {
      if (typeof c.key !== "string") return never;
      const parts = splitKey(c.key);
      return (e) => {
        const v = valueAt(e, parts);
        return Array.isArray(v) && v.some((x) => sameValue(x, c.value));
      };
    }
    case "contains_display_name":
      return (_e, ctx, facts) => facts.bodyLower !== null && !!ctx.displayName && ctx.displayName.trim() !== "" && containsWord(facts.bodyLower, ctx.displayName.toLowerCase());
    case "room_member_count": {
      const count = typeof c.is === "string" ? parseCount(c.is) : null;
      return count ? (_e, ctx) => count(ctx.memberCount) : never;
    }
    case "sender_notification_permission": {
      const key = c.key;
      return typeof key === "string" ? (_e, ctx) => ctx.senderPowerLevel >= (ctx.notificationLevels[key] ?? 50) : never;
    }
    default:
      return never;
  }
}

/** A pattern found on word boundaries in content.body, case-insensitively: a plain search without wildcards. */
function bodyWords(pattern: string): Test {
  if (!/[*?]/.test(pattern)) {
    const needle = pattern.toLowerCase();
    return (_e, _ctx, facts) => facts.bodyLower !== null && containsWord(facts.bodyLower, needle);
  }
  const re = new RegExp(`(?:^|[^\\p{L}\\p{N}_])${globSource(pattern)}(?:$|[^\\p{L}\\p{N}_])`, "isu");
  return (_e, _ctx, facts) => facts.bodyLower !== null && re.test(facts.bodyLower);
}

function outcome(ruleId: string, actions: PushAction[]): PushOutcome {
  let notify = false;
  let highlight = false;
  let sound: string | null = null;
  for (const a of actions) {
    if (a === "notify") notify = true;
    else if (typeof a === "object" && a !== null) {
      if (a.set_tweak === "highlight") highlight = a.value === undefined ? true : a.value === true;
      else if (a.set_tweak === "sound" && typeof a.value === "string") sound = a.value;
    }
  }
  // A highlight or sound means nothing without a notification.
  return Object.freeze({ ruleId, notify, highlight: notify && highlight, sound: notify ? sound : null, actions });
}

/**
 * The value at a dotted key: `content.m\.mentions.user_ids` reads content["m.mentions"].user_ids
 * (a backslash escapes a dot or another backslash).
 */
export function propertyOf(event: PushEvent, key: string): unknown {
  return valueAt(event, splitKey(key));
}

function valueAt(event: PushEvent, parts: readonly string[]): unknown {
  let value: unknown = event;
  for (const part of parts) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function splitKey(key: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (ch === "\\" && (key[i + 1] === "." || key[i + 1] === "\\")) {
      cur += key[++i];
    } else if (ch === ".") {
      parts.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  return parts;
}

/** event_property_is: the same JSON scalar (strings, integers, booleans, null), never a compound value. */
function sameValue(a: unknown, b: unknown): boolean {
  if (b === null) return a === null;
  if (typeof b === "string" || typeof b === "boolean") return a === b;
  if (typeof b === "number") return typeof a === "number" && Number.isInteger(b) && a === b;
  return false;
}

/** room_member_count's `is`: "2", "==2", "<2", ">2", "<=2", ">=2"; null when malformed. */
function parseCount(is: string): ((count: number) => boolean) | null {
  const m = /^(==|<=|>=|<|>)?(\d+)$/.exec(is.trim());
  if (!m) return null;
  const n = Number(m[2]);
  switch (m[1] ?? "==") {
    case "<":
      return (c) => c < n;
    case ">":
      return (c) => c > n;
    case "<=":
      return (c) => c <= n;
    case ">=":
      return (c) => c >= n;
    default:
      return (c) => c === n;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Glob to regex source: `*` any run, `?` one character, the rest literal. */
const globSource = (pattern: string) => escapeRe(pattern).replace(/\\\*/g, ".*?").replace(/\\\?/g, ".");

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const isWordChar = (ch: string | undefined) => ch !== undefined && WORD_CHAR.test(ch);

/** `needle` occurs in `haystack` with no letter, digit or underscore right before or after it (both lower case). */
function containsWord(haystack: string, needle: string): boolean {
  if (needle === "") return false;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    const before = isWordChar(haystack[at - 1]) && isWordChar(needle[0]);
    const after = isWordChar(haystack[at + needle.length]) && isWordChar(needle[needle.length - 1]);
    if (!before && !after) return true;
  }
  return false;
}
