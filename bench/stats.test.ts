import assert from "node:assert/strict";
import { test } from "node:test";
import { percentile, Samples, summarize } from "./stats";

test("nearest-rank percentiles pick observed values", () => {
  const s = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(s, 50), 50);
  assert.equal(percentile(s, 90), 90);
  assert.equal(percentile(s, 99), 99);
  assert.equal(percentile(s, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([1, 2, 3], 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test("summarize sorts numerically, not as strings", () => {
  const r = summarize([100, 9, 20, 3]);
  assert.deepEqual(r, { count: 4, mean: 33, p50: 9, p90: 100, p99: 100, max: 100 });
});

test("Samples grows past its initial buffer", () => {
  const s = new Samples();
  for (let i = 0; i < 5000; i++) s.push(5000 - i);
  assert.equal(s.length, 5000);
  assert.equal(s.summary().max, 5000);
  assert.equal(s.summary().p50, 2500);
});
