import { ConnectionError, MatrixError } from "./errors";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** Send the access token (default true when one is set). */
  auth?: boolean;
  /** Give up after this long (ms); default 30 s. A long-poll passes its own length plus a margin. */
  timeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** JSON over fetch to one homeserver, with every failure turned into MatrixError or ConnectionError. */
export class MatrixHttp {
  readonly baseUrl: string;

  constructor(
    homeserver: string,
    public accessToken: string | null = null,
    private readonly fetchFn: FetchLike = (input, init) => globalThis.fetch(input, init),
  ) {
    this.baseUrl = normaliseHomeserver(homeserver);
  }

  /** Calls `/_matrix/client/{path}`; `path` starts with the version, e.g. `v3/account/whoami`. */
  async request<T = Record<string, unknown>>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    let url = `${this.baseUrl}/_matrix/client/${path}`;
    const query = Object.entries(opts.query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
    if (query.length) url += `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString()}`;
    const headers: Record<string, string> = {};
    if (opts.auth !== false && this.accessToken) headers.authorization = `Bearer ${this.accessToken}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const failed = (err: unknown, what: string) => {
      const aborted = opts.signal?.aborted === true;
      if (aborted) return new ConnectionError("request aborted", true, { cause: err });
      if (timeout.aborted) return new ConnectionError(`${this.baseUrl} did not answer within ${Math.round(timeoutMs / 1000)} s`, false, { cause: err });
      return new ConnectionError(`${what} ${this.baseUrl}: ${describe(err)}`, false, { cause: err });
    };
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal });
    } catch (err) {
      throw failed(err, "cannot reach");
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw failed(err, "lost the connection to");
    }
    let json: unknown;
    try {
      json = text.length ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    const obj = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
    if (res.ok && obj) return obj as T;
    if (obj && typeof obj.errcode === "string") {
      throw new MatrixError(res.status, obj.errcode, typeof obj.error === "string" ? obj.error : obj.errcode, retryAfter(obj, res), obj);
    }
    if (!res.ok) {
      throw new MatrixError(res.status, "M_UNKNOWN", `${method} ${path} answered HTTP ${res.status} with no Matrix error`, retryAfter({}, res), {});
    }
    throw new ConnectionError(`${this.baseUrl} answered ${method} ${path} with something that is not Matrix JSON; is it a Matrix homeserver?`);
  }
}

/** "example.org" → "https://example.org"; trailing slashes dropped; anything else not http(s) is refused. */
export function normaliseHomeserver(input: string): string {
  const raw = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConnectionError(`"${input}" is not a homeserver URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConnectionError(`"${input}" is not an http(s) URL`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function retryAfter(body: Record<string, unknown>, res: Response): number | null {
  if (typeof body.retry_after_ms === "number" && Number.isFinite(body.retry_after_ms)) return Math.max(0, body.retry_after_ms);
  const header = res.headers.get("retry-after");
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "no such host (DNS failed)",
  ETIMEDOUT: "timed out",
  UND_ERR_CONNECT_TIMEOUT: "timed out",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
};

/** fetch says only "fetch failed"; the reason is in its cause. */
function describe(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return REASONS[code] ?? code;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
