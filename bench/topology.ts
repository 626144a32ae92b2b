/**
 * Who is in which room. Deterministic from a seed so a run can be repeated, and the source of
 * the expected deliveries: a change by user X is expected at every watcher sharing a room with X.
 */

export interface TopologySpec {
  users: number;
  roomSize: number;
  roomsPerUser: number;
  seed: number;
}

export interface Topology {
  users: number;
  /** Member user indices of each room; the first member creates it. */
  rooms: number[][];
  /** Room indices of each user. */
  roomsOf: number[][];
}

/** mulberry32: tiny, seedable, good enough to shuffle. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled(n: number, random: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

/**
 * R layers; each layer is a fresh shuffle of all users cut into rooms of K, so every user is in
 * exactly R rooms. A remainder smaller than K joins the previous room when it would be a lone user.
 */
export function buildTopology(spec: TopologySpec): Topology {
  const random = rng(spec.seed);
  const rooms: number[][] = [];
  for (let layer = 0; layer < spec.roomsPerUser; layer++) {
    const order = spec.roomSize >= spec.users ? Array.from({ length: spec.users }, (_, i) => i) : shuffled(spec.users, random);
    const layerRooms: number[][] = [];
    for (let i = 0; i < order.length; i += spec.roomSize) layerRooms.push(order.slice(i, i + spec.roomSize));
    const last = layerRooms[layerRooms.length - 1];
    if (layerRooms.length > 1 && last && last.length < 2) {
      layerRooms.pop();
      layerRooms[layerRooms.length - 1]?.push(...last);
    }
    rooms.push(...layerRooms);
  }
  const roomsOf: number[][] = Array.from({ length: spec.users }, () => []);
  rooms.forEach((members, r) => {
    for (const m of members) roomsOf[m]?.push(r);
  });
  return { users: spec.users, rooms, roomsOf };
}

/** Everyone sharing a room with the user, the user included (you see your own presence), ascending. */
export function audience(t: Topology, user: number): number[] {
  const seen = new Set<number>([user]);
  for (const r of t.roomsOf[user] ?? []) for (const m of t.rooms[r] ?? []) seen.add(m);
  return [...seen].sort((a, b) => a - b);
}

/** The watchers among a user's audience: who must receive each of their changes. */
export function expectedRecipients(t: Topology, user: number, isWatcher: (u: number) => boolean): number[] {
  return audience(t, user).filter(isWatcher);
}
