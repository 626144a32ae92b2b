import { invalidParam, missingParam } from "@axon/protocol";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { z } from "zod";
import type { PushAction } from "../../push/push-rule-types";
import { RULE_KINDS, type RuleKind } from "../../push/push-rule-types";
import type { AppDeps } from "../deps";
import { jsonObject, parseWith, queryString, requireAuth } from "../request";

const action = z.union([
  z.enum(["notify", "dont_notify", "coalesce"]),
  z.object({ set_tweak: z.string().min(1).max(255), value: z.unknown().optional() }).passthrough(),
]);
const condition = z
  .object({
    kind: z.string().min(1).max(255),
    key: z.string().max(1024).optional(),
    pattern: z.string().max(1024).optional(),
    is: z.string().max(32).optional(),
    value: z.union([z.string(), z.number().int(), z.boolean(), z.null()]).optional(),
  })
  .passthrough();
const ruleBody = z.object({
  actions: z.array(action).max(32),
  conditions: z.array(condition).max(32).optional(),
  pattern: z.string().min(1).max(1024).optional(),
});
const enabledBody = z.object({ enabled: z.boolean() });
const actionsBody = z.object({ actions: z.array(action).max(32) });

/** The rule named by the path: scope "global", one of the five kinds, a rule id. */
function target(req: FastifyRequest): { kind: RuleKind; ruleId: string } {
  const { scope, kind, ruleId } = req.params as { scope: string; kind: string; ruleId: string };
  if (scope !== "global") throw invalidParam("The only push rule scope is 'global'.");
  if (!(RULE_KINDS as readonly string[]).includes(kind)) throw invalidParam(`Unknown rule kind '${kind}': expected one of ${RULE_KINDS.join(", ")}.`);
  if (ruleId === "" || ruleId.length > 255 || /[/\\]/.test(ruleId)) throw invalidParam("Invalid rule id.");
  return { kind: kind as RuleKind, ruleId };
}

export const pushRuleRoutes =
  ({ accounts, pushRules }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /pushrules/ (matrix-js-sdk will not sync without it)
    app.get("/pushrules", async (req) => {
      const who = await requireAuth(req, accounts);
      return { global: await pushRules.get(who.userId) };
    });

    // GET /pushrules/global/
    app.get("/pushrules/:scope", async (req) => {
      const who = await requireAuth(req, accounts);
      if ((req.params as { scope: string }).scope !== "global") throw invalidParam("The only push rule scope is 'global'.");
      return pushRules.get(who.userId);
    });

    // GET /pushrules/global/{kind}/{ruleId}
    app.get("/pushrules/:scope/:kind/:ruleId", async (req) => {
      const who = await requireAuth(req, accounts);
      const { kind, ruleId } = target(req);
      return pushRules.rule(who.userId, kind, ruleId);
    });

    // PUT /pushrules/global/{kind}/{ruleId}?before=&after=
    app.put("/pushrules/:scope/:kind/:ruleId", async (req) => {
      const who = await requireAuth(req, accounts);
      const { kind, ruleId } = target(req);
      const body = parseWith(ruleBody, jsonObject(req));
      if (kind === "content" && body.pattern === undefined) throw missingParam("Content rules need a 'pattern'.");
      await pushRules.put(who.userId, kind, ruleId, { actions: body.actions as PushAction[], conditions: body.conditions, pattern: body.pattern }, {
        before: queryString(req, "before"),
        after: queryString(req, "after"),
      });
      return {};
    });

    // DELETE /pushrules/global/{kind}/{ruleId}
    app.delete("/pushrules/:scope/:kind/:ruleId", async (req) => {
      const who = await requireAuth(req, accounts);
      const { kind, ruleId } = target(req);
      await pushRules.delete(who.userId, kind, ruleId);
      return {};
    });

    // GET/PUT /pushrules/global/{kind}/{ruleId}/enabled
    app.get("/pushrules/:scope/:kind/:ruleId/enabled", async (req) => {
      const who = await requireAuth(req, accounts);
      const { kind, ruleId } = target(req);
      return { enabled: (await pushRules.rule(who.userId, kind, ruleId)).enabled };
    });
    app.put("/pushrules/:scope/:kind/:ruleId/enabled", async (req) => {
      const who = await requireAuth(req, accounts);
      const { kind, ruleId } = target(req);
      await pushRules.setEnabled(who.userId, kind, ruleId, parseWith(enabledBody, jsonObject(req)).enabled);
      return {};
    });

    // GET/PUT /pushrules/global/{kind}/{ruleId}/actions
    app.get("/pushrules/:scope/:kind/:ruleId/actions", async (req) => {
      const who = await requireAuth(req, accounts);
      const { kind, ruleId } = target(req);
      return { actions: (await pushRules.rule(who.userId, kind, ruleId)).actions };
    });
    app.put("/pushrules/:scope/:kind/:ruleId/actions", async (req) => {
      const who = await requireAuth(req, accounts);
      const { kind, ruleId } = target(req);
      await pushRules.setActions(who.userId, kind, ruleId, parseWith(actionsBody, jsonObject(req)).actions as PushAction[]);
      return {};
    });
  };
