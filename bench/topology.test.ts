import assert from "node:assert/strict";
import { test } from "node:test";
import { audience, buildTopology, expectedRecipients } from "./topology";

test("every user is in exactly R rooms of K", () => {
  const t = buildTopology({ users: 1000, roomSize: 20, roomsPerUser: 3, seed: 7 });
  assert.equal(t.rooms.length, 150);
  for (const r of t.rooms) assert.equal(r.length, 20);
  for (const rooms of t.roomsOf) assert.equal(rooms.length, 3);
});

test("the layout is deterministic per seed", () => {
  const a = buildTopology({ users: 100, roomSize: 10, roomsPerUser: 2, seed: 3 });
  const b = buildTopology({ users: 100, roomSize: 10, roomsPerUser: 2, seed: 3 });
  const c = buildTopology({ users: 100, roomSize: 10, roomsPerUser: 2, seed: 4 });
  assert.deepEqual(a.rooms, b.rooms);
  assert.notDeepEqual(a.rooms, c.rooms);
});

test("a remainder of one user joins the previous room instead of sitting alone", () => {
  const t = buildTopology({ users: 21, roomSize: 10, roomsPerUser: 1, seed: 1 });
  assert.deepEqual(t.rooms.map((r) => r.length), [10, 11]);
  const u = buildTopology({ users: 25, roomSize: 10, roomsPerUser: 1, seed: 1 });
  assert.deepEqual(u.rooms.map((r) => r.length), [10, 10, 5]);
});

test("audience is the union of room members, self included, without duplicates", () => {
  const t = { users: 6, rooms: [[0, 1, 2], [0, 2, 3], [4, 5]], roomsOf: [[0, 1], [0], [0, 1], [1], [2], [2]] };
  assert.deepEqual(audience(t, 0), [0, 1, 2, 3]);
  assert.deepEqual(audience(t, 3), [0, 2, 3]);
  assert.deepEqual(audience(t, 4), [4, 5]);
  assert.deepEqual(expectedRecipients(t, 0, (u) => u % 2 === 0), [0, 2]);
});

test("one big room: everyone sees everyone", () => {
  const t = buildTopology({ users: 50, roomSize: 50, roomsPerUser: 1, seed: 1 });
  assert.equal(t.rooms.length, 1);
  assert.equal(audience(t, 17).length, 50);
});
