import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createRoom, joinRoom, registerUser, serverPool } from "./support";

const V3 = "/_matrix/client/v3";

/** The value of one sample line (`name{labels} value`), or null when absent. */
function sample(text: string, name: string, labels = ""): number | null {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (labels ? rest.startsWith(`{${labels}`) : rest.startsWith(" ")) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return null;
}

for (const frontThread of [true, false]) {
  describe(`Prometheus metrics, front_thread ${frontThread}`, () => {
    const pool = serverPool({ listen: { front_thread: frontThread }, metrics: { enabled: true, listen: { port: 0 } }, rate_limits: { presence: { per_second: 0 } } });
    after(pool.closeAll);

    it("serves requests by route and status, latency, long-polls, presence, database, event loop and memory", async () => {
      const t = await pool.create();
      const base = await t.server.listen();
      const url = t.server.metricsUrl;
      assert.match(url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const [a, b] = [await registerUser(t, "ma"), await registerUser(t, "mb")];
      await joinRoom(t, await createRoom(t, a, { preset: "public_chat" }), b);
      const auth = (u: { token: string }) => ({ authorization: `Bearer ${u.token}` });
      assert.equal((await fetch(`${base}${V3}/sync`, { headers: auth(a) })).status, 200);
      assert.equal((await fetch(`${base}${V3}/sync?timeout=abc`, { headers: auth(a) })).status, 400);
      // b waits in a long-poll while we scrape.
      const first = (await (await fetch(`${base}${V3}/sync`, { headers: auth(b) })).json()) as { next_batch: string };
      const poll = fetch(`${base}${V3}/sync?since=${first.next_batch}&timeout=20000`, { headers: auth(b) });
      for (let i = 0; i < 50 && t.server.deps.notifier.waiting() === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const put = await fetch(`${base}${V3}/presence/${encodeURIComponent(a.userId)}/status`, { method: "PUT", headers: auth(a), body: JSON.stringify({ presence: "busy" }) });
      assert.equal(put.status, 200);
      assert.equal((await poll).status, 200);
      const now = (await (await fetch(`${base}${V3}/sync?set_presence=offline`, { headers: auth(a) })).json()) as { next_batch: string };
      const polling = fetch(`${base}${V3}/sync?since=${now.next_batch}&timeout=20000&set_presence=offline`, { headers: auth(a) });
      for (let i = 0; i < 50 && t.server.deps.notifier.waiting() === 0; i++) await new Promise((r) => setTimeout(r, 20));

      const res = await fetch(url!);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await res.text();
      assert.ok((sample(text, "axon_http_requests_total", 'method="GET",route="/_matrix/client/v3/sync",status="200"') ?? 0) >= 3, "syncs counted");
      assert.equal(sample(text, "axon_http_requests_total", 'method="GET",route="/_matrix/client/v3/sync",status="400"'), 1);
      assert.equal(sample(text, "axon_http_requests_total", 'method="PUT",route="/_matrix/client/v3/presence/:userId/status",status="200"'), 1);
      assert.ok((sample(text, "axon_http_request_duration_seconds_count", 'method="GET",route="/_matrix/client/v3/sync"') ?? 0) >= 3);
      assert.equal(sample(text, "axon_sync_long_polls"), 1);
      assert.equal(sample(text, "axon_presence_users", 'state="busy"'), 1);
      assert.ok((sample(text, "axon_presence_changes_total") ?? 0) >= 1);
      assert.ok((sample(text, "axon_presence_deliveries_total") ?? 0) >= 1);
      assert.ok((sample(text, "axon_db_commit_duration_seconds_count") ?? 0) >= 1, "commits timed");
      assert.ok((sample(text, "axon_db_query_duration_seconds_count", 'op="select"') ?? 0) >= 1);
      assert.notEqual(sample(text, "axon_front_thread_queue"), null);
      assert.ok((sample(text, "process_resident_memory_bytes") ?? 0) > 0);
      assert.notEqual(sample(text, "nodejs_eventloop_lag_p99_seconds"), null);
      // Nothing else is served there.
      assert.equal((await fetch(url!.replace(/\/metrics$/, "/other"))).status, 404);
      await fetch(`${base}${V3}/presence/${encodeURIComponent(a.userId)}/status`, { method: "PUT", headers: auth(a), body: JSON.stringify({ presence: "online" }) });
      await polling;
    });
  });
}

describe("metrics off (the default)", () => {
  const pool = serverPool();
  after(pool.closeAll);
  it("no listener and no metrics", async () => {
    const t = await pool.create();
    await t.server.listen();
    assert.equal(t.server.metricsUrl, undefined);
    assert.equal(t.config.metrics.enabled, false);
  });
});
