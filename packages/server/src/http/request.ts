import { badJson, invalidParam, missingParam, missingToken, notJson, type MatrixError } from "@axon/protocol";
import type { FastifyRequest } from "fastify";
import type { z } from "zod";
import type { AccountService, Requester } from "../accounts/account-service";

/** The access token from `Authorization: Bearer` or `?access_token=` (nio and Perl clients use the latter). */
export function accessTokenOf(req: FastifyRequest): string | null {
  return accessToken(req.headers.authorization, (req.query as Record<string, unknown> | undefined)?.access_token);
}

/** The same from an `Authorization` header value and an `access_token` query value. */
export function accessToken(header: unknown, query: unknown): string | null {
  if (typeof header === "string" && header.startsWith("Bearer ")) return header.slice(7).trim() || null;
  return typeof query === "string" && query.length > 0 ? query : null;
}

/** Resolves the requester or throws 401. */
export async function requireAuth(req: FastifyRequest, accounts: AccountService): Promise<Requester> {
  return requireToken(accessTokenOf(req), accounts);
}

/** The same from a token already taken from the request (the front thread's /sync). */
export async function requireToken(token: string | null, accounts: AccountService): Promise<Requester> {
  if (!token) throw missingToken();
  return accounts.authenticate(token);
}

/** The request body as a JSON object. `optional`: an empty body counts as `{}`. */
export function jsonObject(req: FastifyRequest, opts: { optional?: boolean } = {}): Record<string, unknown> {
  const raw = req.body;
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) {
    if (opts.optional) return {};
    throw notJson("Request body is empty; a JSON object is required.");
  }
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch {
    throw notJson("Content not JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badJson("Request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** Validates with a zod schema; a missing key is M_MISSING_PARAM, a bad one M_INVALID_PARAM or M_BAD_JSON. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw zodToMatrix(result.error, value);
}

/** `value` is what was validated: zod does not report the offending input by default, so look it up there. */
export function zodToMatrix(error: z.ZodError, value: unknown): MatrixError {
  const issue = error.issues[0];
  if (!issue) return badJson("Invalid request.");
  const key = issue.path.join(".") || "body";
  if (issue.code === "invalid_type" && valueAt(value, issue.path) === undefined) return missingParam(`Missing '${key}'.`);
  if (issue.code === "invalid_type") return badJson(`'${key}' has the wrong type: ${issue.message}.`);
  return invalidParam(`Invalid '${key}': ${issue.message}.`);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** A query parameter as a single string (the last one when repeated). */
export function queryString(req: FastifyRequest, name: string): string | undefined {
  return lastValue((req.query as Record<string, unknown> | undefined)?.[name]);
}

/** A parsed query value as a single string (the last one when repeated). */
export function lastValue(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return typeof v === "string" ? v : undefined;
}
