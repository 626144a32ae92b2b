import { createHash, randomBytes } from "node:crypto";
import { openDatabase } from "@axon/server";
import type { JsonClient } from "./http-client";
import { inPool } from "./pool";
import type { Topology } from "./topology";

export interface BenchUser {
  index: number;
  userId: string;
  deviceId: string;
  token: string;
}

/** The bench's users are @bench<i>:<server name>; one process runs as "localhost", a cluster under a name of its own (its Redis channels). */
export const benchUserId = (i: number, serverName = "localhost") => `@bench${i}:${serverName}`;

/** Same scheme as the server's tokens.ts: only the sha256 of a token is stored. */
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Users, devices and access tokens go straight into the database (migrated by openDatabase):
 * logging in 10,000 users would spend minutes in deliberately slow password hashing.
 */
export async function seedAccounts(dbUrl: string, count: number, serverName = "localhost"): Promise<BenchUser[]> {
  const users: BenchUser[] = Array.from({ length: count }, (_, i) => ({
    index: i,
    userId: benchUserId(i, serverName),
    deviceId: `BENCH${i}`,
    token: `axb_${i}_${randomBytes(16).toString("hex")}`,
  }));
  const database = await openDatabase(dbUrl);
  try {
    const now = Date.now();
    const batch = 500;
    await database.db.transaction().execute(async (tx) => {
      for (let i = 0; i < users.length; i += batch) {
        const part = users.slice(i, i + batch);
        await tx
          .insertInto("users")
          .values(part.map((u) => ({ user_id: u.userId, password_hash: null, is_admin: 0, created_ts: now, displayname: null, avatar_url: null })))
          .execute();
        await tx
          .insertInto("devices")
          .values(part.map((u) => ({ user_id: u.userId, device_id: u.deviceId, display_name: "bench", last_seen_ts: null, last_seen_ip: null, created_ts: now })))
          .execute();
        await tx
          .insertInto("access_tokens")
          .values(part.map((u) => ({ token_hash: sha256(u.token), user_id: u.userId, device_id: u.deviceId, created_ts: now })))
          .execute();
      }
    });
  } finally {
    await database.close();
  }
  return users;
}

const enc = encodeURIComponent;

/** Rooms through the client API (createRoom by the first member, /join by the rest): room events are the server's business. */
export async function seedRooms(client: JsonClient, users: readonly BenchUser[], topology: Topology, concurrency = 16): Promise<string[]> {
  const roomIds: string[] = new Array(topology.rooms.length);
  await inPool(topology.rooms, concurrency, async (members, r) => {
    const creator = users[members[0] as number] as BenchUser;
    const created = await client.request("POST", "/_matrix/client/v3/createRoom", {
      token: creator.token,
      body: { preset: "public_chat", name: `bench room ${r}` },
    });
    const roomId = (created.body as { room_id?: string } | null)?.room_id;
    if (created.status !== 200 || !roomId) throw new Error(`createRoom failed: ${created.status} ${JSON.stringify(created.body)}`);
    roomIds[r] = roomId;
  });
  // Joins of all rooms in one pool, so a single big room is joined in parallel too.
  const joins: [string, BenchUser][] = [];
  topology.rooms.forEach((members, r) => {
    for (const m of members.slice(1)) joins.push([roomIds[r] as string, users[m] as BenchUser]);
  });
  await inPool(joins, concurrency, async ([roomId, u]) => {
    const joined = await client.request("POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: u.token, body: {} });
    if (joined.status !== 200) throw new Error(`join failed: ${joined.status} ${JSON.stringify(joined.body)}`);
  });
  return roomIds;
}
