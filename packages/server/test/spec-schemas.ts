// Validators built from the Matrix spec's own OpenAPI and event schemas, so tests check what the
// server says against the spec rather than against our reading of it.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import $RefParser, { type FileInfo, type JSONSchema } from "@apidevtools/json-schema-ref-parser";
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import YAML from "yaml";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SPEC_DIR = process.env.AXON_MATRIX_SPEC_DIR ?? resolve(REPO_ROOT, "../shared/matrix-spec");
const CS_API_DIR = join(SPEC_DIR, "data/api/client-server");
const EVENT_DIR = join(SPEC_DIR, "data/event-schemas/schema");

export const BUSY = "org.matrix.msc3026.busy";

/** Returns why the spec schemas cannot be used, or null when they can. */
export function specUnavailable(): string | null {
  if (!existsSync(CS_API_DIR) || !existsSync(EVENT_DIR)) {
    return `Matrix spec schemas not found at ${SPEC_DIR} (expected ../shared/matrix-spec from the repository root); spec validation skipped`;
  }
  return null;
}

/** Checks a value; returns the problems found (empty when valid). */
export type SchemaCheck = (value: unknown) => string[];

export interface SpecValidators {
  /** Response body schema of `method path` in `data/api/client-server/<file>` for a status code. */
  responseValidator(file: string, path: string, method: string, status: number | string): Promise<SchemaCheck>;
  /** Request body schema of `method path` in `data/api/client-server/<file>`. */
  requestValidator(file: string, path: string, method: string): Promise<SchemaCheck>;
  /** Event schema `data/event-schemas/schema/<eventType>.yaml`. */
  eventValidator(eventType: string): Promise<SchemaCheck>;
}

type Json = Record<string, unknown>;

const yamlParser = {
  order: 100,
  canParse: [".yaml", ".yml", ".json"],
  // `yaml` copes with files that js-yaml rejects (presence.yaml); JSON is valid YAML.
  parse: (file: FileInfo) => YAML.parse(file.data.toString()) as unknown,
};

const ANY_NON_EMPTY = /.+/;
// Real shapes, loose enough for historical ids and room version 12 room ids (no server part).
const FORMATS: Record<string, RegExp> = {
  "mx-user-id": /^@[^:]+:.+$/,
  "mx-room-id": /^![^:]+(:.+)?$/,
  "mx-event-id": /^\$.+$/,
  "mx-room-alias": /^#[^:]+:.+$/,
  "mx-mxc-uri": /^mxc:\/\/[^/]+\/.+$/,
  "mx-server-name": ANY_NON_EMPTY,
  "mx-unpadded-base64": /^[A-Za-z0-9+/]*$/,
  "mx-urlsafe-unpadded-base64": /^[A-Za-z0-9_-]*$/,
};

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function at(root: unknown, keys: string[], where: string): Json {
  let cur: unknown = root;
  for (const k of keys) {
    if (!isObject(cur) || !(k in cur)) throw new Error(`spec schema: no ${keys.join(" > ")} in ${where}`);
    cur = cur[k];
  }
  if (!isObject(cur)) throw new Error(`spec schema: ${keys.join(" > ")} in ${where} is not an object`);
  return cur;
}

function allowBusy(presenceProperty: Json, where: string): void {
  const values = presenceProperty.enum;
  if (!Array.isArray(values)) throw new Error(`spec schema: expected a presence enum in ${where}`);
  if (!values.includes(BUSY)) values.push(BUSY);
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`);
}

/** Loads the spec folder lazily, one file at a time. Throws when the folder is absent (check specUnavailable() first). */
export function loadSpecValidators(): SpecValidators {
  const why = specUnavailable();
  if (why) throw new Error(why);

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const [name, re] of Object.entries(FORMATS)) ajv.addFormat(name, re);

  const docs = new Map<string, Promise<Json>>();
  const compiled = new Map<string, SchemaCheck>();

  function load(file: string): Promise<Json> {
    let p = docs.get(file);
    if (!p) {
      p = (async () => {
        const doc = (await $RefParser.dereference(file, {
          parse: { yaml: yamlParser, json: false },
          dereference: { circular: "ignore" },
        })) as JSONSchema;
        if (!isObject(doc)) throw new Error(`spec schema: ${file} is not an object`);
        patchBusy(file, doc);
        return doc;
      })();
      docs.set(file, p);
    }
    return p;
  }

  // `busy` is MSC3026, not yet in the spec: allow it in the three places presence is typed.
  function patchBusy(file: string, doc: Json): void {
    if (file === join(CS_API_DIR, "presence.yaml")) {
      const op = at(doc, ["paths", "/presence/{userId}/status"], file);
      const put = at(op, ["put", "requestBody", "content", "application/json", "schema", "properties", "presence"], file);
      allowBusy(put, `${file} PUT body`);
      const get = at(op, ["get", "responses", "200", "content", "application/json", "schema", "properties", "presence"], file);
      allowBusy(get, `${file} GET 200`);
    } else if (file === join(EVENT_DIR, "m.presence.yaml")) {
      allowBusy(at(doc, ["properties", "content", "properties", "presence"], file), file);
    }
  }

  function compile(key: string, schema: Json): SchemaCheck {
    let check = compiled.get(key);
    if (!check) {
      const validate: ValidateFunction = ajv.compile(schema);
      check = (value) => (validate(value) ? [] : describe(validate.errors));
      compiled.set(key, check);
    }
    return check;
  }

  return {
    async responseValidator(file, path, method, status) {
      const full = join(CS_API_DIR, file);
      const doc = await load(full);
      const schema = at(doc, ["paths", path, method.toLowerCase(), "responses", String(status), "content", "application/json", "schema"], full);
      return compile(`${full} ${method} ${path} ${status}`, schema);
    },
    async requestValidator(file, path, method) {
      const full = join(CS_API_DIR, file);
      const doc = await load(full);
      const schema = at(doc, ["paths", path, method.toLowerCase(), "requestBody", "content", "application/json", "schema"], full);
      return compile(`${full} ${method} ${path} request`, schema);
    },
    async eventValidator(eventType) {
      const full = join(EVENT_DIR, `${eventType}.yaml`);
      return compile(full, await load(full));
    },
  };
}

let shared: SpecValidators | undefined;

/** One loader per test process, so each spec file is parsed once. */
export function specValidators(): SpecValidators {
  shared ??= loadSpecValidators();
  return shared;
}

/** Throws an assertion-style error listing every schema problem. */
export function assertMatchesSpec(check: SchemaCheck, value: unknown, what: string): void {
  const problems = check(value);
  if (problems.length > 0) {
    throw new Error(`${what} does not match the Matrix spec schema:\n  ${problems.join("\n  ")}\n  value: ${JSON.stringify(value).slice(0, 2000)}`);
  }
}
