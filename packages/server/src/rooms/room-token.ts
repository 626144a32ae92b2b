import { invalidParam } from "@axon/protocol";

/**
 * Pagination tokens: "t<N>" is the gap just after the event with stream ordering N. A /sync token
 * ("s<N>_...") is accepted as well: its first part is the room-event position.
 */
export function parseRoomToken(raw: string): number {
  const m = /^[ts](\d{1,15})(?:_\d{1,16})*$/.exec(raw);
  if (!m || (raw.startsWith("t") && raw.includes("_"))) throw invalidParam(`Invalid pagination token '${raw}'.`);
  return Number(m[1]);
}

export const roomToken = (position: number) => `t${Math.max(0, position)}`;
