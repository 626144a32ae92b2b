/** The searchable keys and where each lives in an event. */
export const SEARCH_KEYS = { "content.body": "m.room.message", "content.name": "m.room.name", "content.topic": "m.room.topic" } as const;
export type SearchKey = keyof typeof SEARCH_KEYS;

export interface SearchQuery {
  rooms: string[];
  /** Words (letters and digits only), each matched as a prefix; all must match. */
  words: string[];
  keys: SearchKey[];
  order: "rank" | "recent";
  offset: number;
  limit: number;
}

export interface SearchHit {
  eventId: string;
  roomId: string;
  rank: number;
}

/** Full-text search over the index written when events are persisted (SQLite FTS5, PostgreSQL tsvector). */
export interface SearchStore {
  search(q: SearchQuery): Promise<{ count: number; hits: SearchHit[] }>;
}

/** Lower case without diacritics ("Café" → "cafe"), the same for indexed text and search terms on both databases. */
export function foldText(text: string): string {
  return text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase();
}

/** The words of a search term: runs of letters and digits, folded, at most 16. */
export function searchWords(term: string): string[] {
  return (foldText(term).match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 16);
}

/** The text an event contributes to the index under its key, if any. */
export function searchableText(e: { type: string; state_key?: string; content: Record<string, unknown> }): { key: SearchKey; text: string } | null {
  for (const [key, type] of Object.entries(SEARCH_KEYS) as [SearchKey, string][]) {
    if (e.type !== type) continue;
    const text = e.content[key.slice("content.".length)];
    return typeof text === "string" && text.length > 0 ? { key, text } : null;
  }
  return null;
}
