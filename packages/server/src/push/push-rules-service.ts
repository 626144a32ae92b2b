import { invalidParam, notFound, type UserId } from "@axon/protocol";
import type { AccountDataService } from "../rooms/account-data-service";
import { defaultPushRules } from "./default-push-rules";
import { RULE_KINDS, type PushAction, type PushCondition, type PushRule, type RuleKind, type Ruleset } from "./push-rule-types";

/** Where a user's rules live: global account data, so that every device of theirs sees changes through /sync. */
export const PUSH_RULES_TYPE = "m.push_rules";

export interface NewRule {
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

/**
 * A user's push rules: the spec's defaults (as this server defines them now) with the user's changes
 * to them (enabled, actions) and the user's own rules. Stored whole in the `m.push_rules` account
 * data, which is what clients read; re-merged with the current defaults on every read.
 */
export class PushRulesService {
  /** One change at a time per user (a read-modify-write of the stored ruleset). */
  private readonly queues = new Map<UserId, Promise<unknown>>();

  constructor(private readonly accountData: AccountDataService) {}

  async get(userId: UserId): Promise<Ruleset> {
    return rulesFromContent(userId, await this.accountData.get(userId, null, PUSH_RULES_TYPE));
  }

  async rule(userId: UserId, kind: RuleKind, ruleId: string): Promise<PushRule> {
    const rule = (await this.get(userId))[kind].find((r) => r.rule_id === ruleId);
    if (!rule) throw notFound("No such push rule.");
    return rule;
  }

  /** Adds or replaces a user rule; `before`/`after` name another user rule of the same kind. */
  put(userId: UserId, kind: RuleKind, ruleId: string, spec: NewRule, place: { before?: string; after?: string }): Promise<void> {
    if (ruleId.startsWith(".")) throw invalidParam("Rule ids starting with '.' are reserved for the server's rules.");
    return this.change(userId, (rules) => {
      const list = rules[kind];
      const existing = list.findIndex((r) => r.rule_id === ruleId);
      const rule: PushRule = { rule_id: ruleId, default: false, enabled: existing === -1 ? true : list[existing]!.enabled, actions: spec.actions };
      if (kind === "override" || kind === "underride") rule.conditions = spec.conditions ?? [];
      if (kind === "content") rule.pattern = spec.pattern;
      const anchorId = place.before ?? place.after;
      if (anchorId === undefined && existing !== -1) {
        list[existing] = rule;
        return;
      }
      if (existing !== -1) list.splice(existing, 1);
      let at: number;
      if (anchorId !== undefined) {
        const anchor = list.findIndex((r) => r.rule_id === anchorId);
        if (anchor === -1) throw notFound(`No push rule ${anchorId} of kind ${kind}.`);
        if (list[anchor]!.default) throw invalidParam("A rule cannot be placed relative to a server rule.");
        at = place.before !== undefined ? anchor : anchor + 1;
      } else {
        // A new rule is the most important user rule of its kind (after the master rule for overrides).
        at = list.findIndex((r) => !r.default);
        if (at === -1) at = kind === "override" ? list.findIndex((r) => r.rule_id !== ".m.rule.master") : 0;
        if (at === -1) at = list.length;
      }
      list.splice(at, 0, rule);
    });
  }

  delete(userId: UserId, kind: RuleKind, ruleId: string): Promise<void> {
    return this.change(userId, (rules) => {
      const list = rules[kind];
      const at = list.findIndex((r) => r.rule_id === ruleId);
      if (at === -1) throw notFound("No such push rule.");
      if (list[at]!.default) throw invalidParam("The server's rules cannot be deleted; disable them instead.");
      list.splice(at, 1);
    });
  }

  setEnabled(userId: UserId, kind: RuleKind, ruleId: string, enabled: boolean): Promise<void> {
    return this.change(userId, (rules) => {
      find(rules, kind, ruleId).enabled = enabled;
    });
  }

  setActions(userId: UserId, kind: RuleKind, ruleId: string, actions: PushAction[]): Promise<void> {
    return this.change(userId, (rules) => {
      find(rules, kind, ruleId).actions = actions;
    });
  }

  private change(userId: UserId, edit: (rules: Ruleset) => void): Promise<void> {
    const run = (this.queues.get(userId) ?? Promise.resolve()).then(async () => {
      const rules = await this.get(userId);
      edit(rules);
      await this.accountData.put(userId, null, PUSH_RULES_TYPE, { global: rules });
    });
    const tail = run.catch(() => {});
    this.queues.set(userId, tail);
    void tail.then(() => {
      if (this.queues.get(userId) === tail) this.queues.delete(userId);
    });
    return run;
  }
}

function find(rules: Ruleset, kind: RuleKind, ruleId: string): PushRule {
  const rule = rules[kind].find((r) => r.rule_id === ruleId);
  if (!rule) throw notFound("No such push rule.");
  return rule;
}

/** A user's effective rules from their `m.push_rules` account data (null: none stored). */
export function rulesFromContent(userId: UserId, content: Record<string, unknown> | null): Ruleset {
  return mergeRules(defaultPushRules(userId), parseStored(content));
}

/** The stored ruleset, or null when there is none or it is not a ruleset. */
function parseStored(content: Record<string, unknown> | null): Partial<Record<RuleKind, PushRule[]>> | null {
  const global = content?.global;
  if (typeof global !== "object" || global === null) return null;
  const out: Partial<Record<RuleKind, PushRule[]>> = {};
  for (const kind of RULE_KINDS) {
    const list = (global as Record<string, unknown>)[kind];
    if (Array.isArray(list)) out[kind] = list.filter((r): r is PushRule => typeof r === "object" && r !== null && typeof (r as PushRule).rule_id === "string");
  }
  return out;
}

/**
 * Current defaults with the user's enabled/actions for them, and the user's own rules: overrides
 * after the master rule and before the other defaults, every other kind before the defaults.
 */
export function mergeRules(defaults: Ruleset, stored: Partial<Record<RuleKind, PushRule[]>> | null): Ruleset {
  const out = {} as Ruleset;
  for (const kind of RULE_KINDS) {
    const saved = stored?.[kind] ?? [];
    const savedById = new Map(saved.filter((r) => r.default).map((r) => [r.rule_id, r]));
    const base = defaults[kind].map((d) => {
      const s = savedById.get(d.rule_id);
      return s ? { ...d, enabled: typeof s.enabled === "boolean" ? s.enabled : d.enabled, actions: Array.isArray(s.actions) ? s.actions : d.actions } : d;
    });
    const own = saved.filter((r) => !r.default && !r.rule_id.startsWith("."));
    if (kind === "override") {
      const master = base.filter((r) => r.rule_id === ".m.rule.master");
      out[kind] = [...master, ...own, ...base.filter((r) => r.rule_id !== ".m.rule.master")];
    } else {
      out[kind] = [...own, ...base];
    }
  }
  return out;
}
