import assert from "node:assert/strict";
import { test } from "node:test";
import { MessageBatch } from "./message-batch";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("messages added in one turn are posted together, in order, after it", async () => {
  const posted: number[][] = [];
  const batch = new MessageBatch<number>((b) => posted.push(b));
  batch.add(1);
  batch.add(2);
  batch.add(3);
  assert.deepEqual(posted, [], "nothing is posted within the turn");
  await turn();
  assert.deepEqual(posted, [[1, 2, 3]]);
});

test("a later turn starts a new batch; a turn with nothing posts nothing", async () => {
  const posted: string[][] = [];
  const batch = new MessageBatch<string>((b) => posted.push(b));
  batch.add("a");
  await turn();
  await turn();
  batch.add("b");
  await turn();
  assert.deepEqual(posted, [["a"], ["b"]]);
});
