/** The answer to one notify request, as delivery acts on it. */
export type NotifyResult =
  /** 2xx: delivered; `rejected` lists pushkeys the gateway says are dead. */
  | { kind: "sent"; rejected: string[] }
  /** Network error, timeout, 5xx or 429: worth another try later. */
  | { kind: "retry"; reason: string }
  /** Any other answer (4xx, a redirect): trying again would not help. */
  | { kind: "drop"; reason: string };

/** The most of a gateway's answer that is read (the spec's answer is a short list of pushkeys). */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs one notification to a push gateway with Node's fetch. `timeoutMs` bounds the whole exchange
 * (connect, answer, body); `signal` aborts it early (the server closing). Redirects are not followed:
 * the gateway's address was checked, where it redirects to was not.
 */
export async function postNotify(url: string, body: unknown, opts: { timeoutMs: number; signal: AbortSignal }): Promise<NotifyResult> {
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      redirect: "manual",
      signal,
    });
  } catch (err) {
    return { kind: "retry", reason: describe(err, signal) };
  }
  if (res.status === 429 || res.status >= 500) {
    await res.body?.cancel().catch(() => {});
    return { kind: "retry", reason: `HTTP ${res.status}` };
  }
  if (res.status < 200 || res.status >= 300) {
    await res.body?.cancel().catch(() => {});
    return { kind: "drop", reason: `HTTP ${res.status}` };
  }
  let text: string;
  try {
    text = await readCapped(res, MAX_ANSWER_BYTES);
  } catch {
    // The request arrived; only its answer was lost. Sending it again could alert twice.
    return { kind: "sent", rejected: [] };
  }
  return { kind: "sent", rejected: rejectedIn(text) };
}

/** The spec's `{"rejected": [pushkey, ...]}`; anything else rejects nothing. */
export function rejectedIn(text: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return [];
  }
  const list = typeof v === "object" && v !== null ? (v as Record<string, unknown>).rejected : undefined;
  return Array.isArray(list) ? list.filter((k): k is string => typeof k === "string") : [];
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return "";
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error && reason.name === "TimeoutError" ? "timed out" : "aborted";
  }
  const e = err as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const cause = e.cause?.code ?? e.cause?.message;
  return typeof cause === "string" ? cause : typeof e.message === "string" ? e.message : String(err);
}
