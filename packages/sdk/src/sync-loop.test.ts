import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AxonClient } from "./client";
import { ManualClock } from "./clock";
import { ConnectionError, MatrixError } from "./errors";
import { SyncLoop, type SyncStatus } from "./sync-loop";

type Answer = { status: number; body: unknown; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script and records what was asked; a request with no answer yet waits. */
function scriptedFetch() {
  const requests: { method: string; url: URL; signal?: AbortSignal | null }[] = [];
  const answers: Answer[] = [];
  const waiting: (() => void)[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    requests.push({ method: init.method ?? "GET", url: new URL(input), signal: init.signal });
    // /versions is answered on the side, so it never takes an answer scripted for /sync.
    if (new URL(input).pathname === "/_matrix/client/versions") return Response.json({ versions: ["v1.11"], unstable_features: {} });
    while (answers.length === 0) {
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true });
      });
    }
    const a = answers.shift()!;
    if (a instanceof Error) throw a;
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { "content-type": "application/json", ...a.headers } });
  };
  return {
    fetch,
    requests,
    answer(...a: Answer[]) {
      answers.push(...a);
      for (const w of waiting.splice(0)) w();
    },
  };
}

const sync = (next: string) => ({ status: 200, body: { next_batch: next } });
const refused = () => new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
const settle = async () => {
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
};

function setup() {
  const clock = new ManualClock(1_000_000);
  const http = scriptedFetch();
  const client = new AxonClient({ homeserver: "http://hs.test", userId: "@a:hs.test", deviceId: "D", accessToken: "tok" }, { fetch: http.fetch, clock });
  const loop = new SyncLoop(client, { clock, random: () => 0.5, timeoutMs: 30_000, filter: { presence: { types: ["m.presence"] } } });
  const states: SyncStatus[] = [];
  loop.on("state", (s) => states.push(s));
  const syncs: { next: string; initial: boolean }[] = [];
  loop.on("sync", (res, info) => syncs.push({ next: res.next_batch, initial: info.initial }));
  return { clock, http, client, loop, states, syncs };
}

describe("SyncLoop", () => {
  it("uploads the filter once, catches up without a long-poll, then long-polls from its token", async () => {
    const { http, loop, states, syncs } = setup();
    http.answer({ status: 200, body: { filter_id: "f1" } }, sync("s1"), sync("s2"));
    loop.start();
    await settle();
    assert.deepEqual(syncs, [{ next: "s1", initial: true }, { next: "s2", initial: false }]);
    const [filter, first, second, third] = http.requests;
    assert.equal(filter!.method, "POST");
    assert.equal(filter!.url.pathname, "/_matrix/client/v3/user/%40a%3Ahs.test/filter");
    assert.equal(first!.url.searchParams.get("timeout"), "0");
    assert.equal(first!.url.searchParams.get("since"), null);
    assert.equal(first!.url.searchParams.get("filter"), "f1");
    assert.equal(second!.url.searchParams.get("timeout"), "30000");
    assert.equal(second!.url.searchParams.get("since"), "s1");
    assert.equal(third!.url.searchParams.get("since"), "s2");
    assert.deepEqual(states.map((s) => s.state), ["catchup", "syncing"]);
    await loop.stop();
    assert.equal(third!.signal?.aborted, true, "stop aborts the long-poll in flight");
    assert.equal(loop.status.state, "stopped");
  });

  it("backs off with jitter and doubling on failures, says when it retries, catches up and refreshes the busy flag after", async () => {
    const { clock, http, loop, states, syncs } = setup();
    http.answer({ status: 200, body: { filter_id: "f1" } }, sync("s1"), refused(), { status: 502, body: "bad gateway" }, refused());
    loop.start();
    await settle();
    // Three failures so far are answered at once; each waits before the next try.
    let s = loop.status;
    assert.equal(s.state, "reconnecting");
    assert.ok(s.error instanceof ConnectionError);
    // random 0.5: half the cap fixed plus a quarter: 750 ms for the first cap of 1 s.
    assert.equal(s.retryAt, clock.now() + 750);
    await clock.advance(749);
    assert.equal(http.requests.filter((r) => r.url.pathname.endsWith("/sync")).length, 2, "no retry before its time");
    await clock.advance(1);
    await settle();
    s = loop.status;
    assert.ok(s.error instanceof MatrixError && s.error.status === 502);
    assert.equal(s.retryAt, clock.now() + 1_500, "the cap doubles: 2 s");
    await clock.advance(1_500);
    await settle();
    assert.equal(loop.status.retryAt, clock.now() + 3_000, "then 4 s");
    http.answer(sync("s2"));
    await clock.advance(3_000);
    await settle();
    // The retry is a catch-up from the last good token, and the flag was asked for again.
    const retried = http.requests.filter((r) => r.url.pathname.endsWith("/sync")).at(-2)!;
    assert.equal(retried.url.searchParams.get("since"), "s1");
    assert.equal(retried.url.searchParams.get("timeout"), "0");
    assert.ok(http.requests.some((r) => r.url.pathname === "/_matrix/client/versions"));
    assert.deepEqual(syncs.map((x) => x.next), ["s1", "s2"]);
    assert.deepEqual(
      states.map((x) => x.state),
      ["catchup", "syncing", "reconnecting", "catchup", "reconnecting", "catchup", "reconnecting", "catchup", "syncing"],
    );
    await loop.stop();
  });

  it("honours a 429's retry_after_ms and Retry-After, and caps the backoff", async () => {
    const { clock, http, loop } = setup();
    http.answer({ status: 200, body: { filter_id: "f" } }, { status: 429, body: { errcode: "M_LIMIT_EXCEEDED", error: "slow", retry_after_ms: 12_345 } });
    loop.start();
    await settle();
    assert.equal(loop.status.retryAt, clock.now() + 12_345);
    http.answer({ status: 429, body: { errcode: "M_LIMIT_EXCEEDED", error: "slow" }, headers: { "retry-after": "7" } });
    await clock.advance(12_345);
    await settle();
    assert.equal(loop.status.retryAt, clock.now() + 7_000);
    await loop.stop();

    const capped = setup();
    const loop2 = new SyncLoop(capped.client, { clock: capped.clock, random: () => 0.999, maxBackoffMs: 4_000 });
    for (let i = 0; i < 6; i++) capped.http.answer(refused());
    loop2.start();
    for (let i = 0; i < 5; i++) {
      await settle();
      const wait = loop2.status.retryAt! - capped.clock.now();
      assert.ok(wait > 0 && wait <= 4_000, `wait ${wait} within the cap`);
      await capped.clock.advance(wait);
    }
    await loop2.stop();
  });

  it("stops for good when the token is rejected, and stops on its AbortSignal", async () => {
    const { http, loop, states } = setup();
    http.answer({ status: 200, body: { filter_id: "f" } }, { status: 401, body: { errcode: "M_UNKNOWN_TOKEN", error: "gone", soft_logout: false } });
    loop.start();
    await loop.done;
    assert.equal(loop.status.state, "error");
    assert.equal((loop.status.error as MatrixError).errcode, "M_UNKNOWN_TOKEN");
    assert.deepEqual(states.map((s) => s.state), ["catchup", "error"]);

    const other = setup();
    const ac = new AbortController();
    other.http.answer({ status: 200, body: { filter_id: "f" } }, sync("a"));
    other.loop.start(ac.signal);
    await settle();
    assert.equal(other.loop.status.state, "syncing");
    ac.abort();
    await other.loop.done;
    assert.equal(other.loop.status.state, "stopped");
  });

  it("resumes from a token it is given", async () => {
    const clock = new ManualClock();
    const http = scriptedFetch();
    const client = new AxonClient({ homeserver: "http://hs.test/", userId: "@a:hs.test", deviceId: "D", accessToken: "t" }, { fetch: http.fetch, clock });
    const loop = new SyncLoop(client, { clock, since: "kept" });
    let initial: boolean | undefined;
    loop.on("sync", (_r, i) => (initial = i.initial));
    http.answer(sync("next"));
    loop.start();
    await settle();
    assert.equal(http.requests[0]!.url.searchParams.get("since"), "kept");
    assert.equal(initial, false);
    assert.equal(http.requests[0]!.url.searchParams.get("filter"), null);
    await loop.stop();
  });
});
