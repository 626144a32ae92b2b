import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectionError, MatrixError } from "./errors";
import { MatrixHttp, normaliseHomeserver } from "./http";

const failing = (err: unknown) => async () => {
  throw err;
};
const answering = (status: number, body: string, headers: Record<string, string> = {}) => async () => new Response(body, { status, headers });

describe("MatrixHttp", () => {
  it("says why a connection failed, in words, where fetch only says 'fetch failed'", async () => {
    const cases: [unknown, string][] = [
      [new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }), "cannot reach http://h.test: connection refused"],
      [new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ENOTFOUND" }) }), "cannot reach http://h.test: no such host"],
      [new TypeError("fetch failed", { cause: new Error("bad port") }), "cannot reach http://h.test: bad port"],
    ];
    for (const [err, text] of cases) {
      await assert.rejects(new MatrixHttp("http://h.test", null, failing(err)).request("GET", "versions"), (e) => e instanceof ConnectionError && e.message === text && !e.aborted);
    }
  });

  it("gives up after its timeout, and tells the caller's own abort apart", async () => {
    const hang = (_: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const http = new MatrixHttp("http://h.test", null, hang);
    // AbortSignal.timeout does not hold the process open by itself.
    const keepAlive = setTimeout(() => {}, 5_000);
    await assert.rejects(http.request("GET", "versions", { timeoutMs: 50 }), (e) => e instanceof ConnectionError && /did not answer within/.test(e.message));
    clearTimeout(keepAlive);
    const ac = new AbortController();
    const pending = http.request("GET", "versions", { signal: ac.signal });
    ac.abort();
    await assert.rejects(pending, (e) => e instanceof ConnectionError && e.aborted);
  });

  it("turns Matrix errors into MatrixError and anything else into a clear failure, never a crash on bad JSON", async () => {
    const http = (status: number, body: string, headers?: Record<string, string>) => new MatrixHttp("http://h.test", "tok", answering(status, body, headers));
    await assert.rejects(http(403, `{"errcode":"M_FORBIDDEN","error":"no"}`).request("GET", "x"), (e) => e instanceof MatrixError && e.status === 403 && e.errcode === "M_FORBIDDEN" && e.message === "no");
    await assert.rejects(http(429, `{"errcode":"M_LIMIT_EXCEEDED","error":"slow"}`, { "retry-after": "3" }).request("GET", "x"), (e) => e instanceof MatrixError && e.retryAfterMs === 3000);
    await assert.rejects(http(502, "<html>bad gateway</html>").request("GET", "x"), (e) => e instanceof MatrixError && e.status === 502 && e.errcode === "M_UNKNOWN");
    await assert.rejects(http(200, "<html>not matrix</html>").request("GET", "x"), (e) => e instanceof ConnectionError && /not Matrix JSON/.test(e.message));
    assert.deepEqual(await http(200, `{"ok":1}`).request("GET", "x"), { ok: 1 });
  });

  it("normalises homeserver URLs and refuses what is not http(s)", () => {
    assert.equal(normaliseHomeserver("matrix.example.org"), "https://matrix.example.org");
    assert.equal(normaliseHomeserver(" http://127.0.0.1:8008/ "), "http://127.0.0.1:8008");
    assert.equal(normaliseHomeserver("https://example.org/matrix/"), "https://example.org/matrix");
    assert.throws(() => normaliseHomeserver("ftp://example.org"), ConnectionError);
    assert.throws(() => normaliseHomeserver("http://"), ConnectionError);
  });
});
