import type { UserId } from "@axon/protocol";

export interface DirectoryEntry {
  userId: string;
  displayname: string | null;
  avatarUrl: string | null;
}

export interface DirectoryQuery {
  searcher: UserId;
  /** Lower-cased words; each must appear in the user id or the display name. */
  words: string[];
  /** Everyone on the server, not only people sharing a joined room with the searcher. */
  everyone: boolean;
  limit: number;
}

/** What the directory needs from the database: it reads users and joined memberships there, so any process answers alike. */
export interface UserDirectoryStore {
  search(q: DirectoryQuery): Promise<DirectoryEntry[]>;
}

/** POST /user_directory/search. */
export class UserDirectory {
  constructor(
    private readonly store: UserDirectoryStore,
    private readonly searchAllUsers: boolean,
  ) {}

  async search(searcher: UserId, term: string, limit: number): Promise<{ limited: boolean; results: Record<string, unknown>[] }> {
    const words = term.toLowerCase().split(/\s+/).filter((w) => w.length > 0).slice(0, 8);
    if (words.length === 0) return { limited: false, results: [] };
    const found = await this.store.search({ searcher, words, everyone: this.searchAllUsers, limit: limit + 1 });
    return {
      limited: found.length > limit,
      results: found.slice(0, limit).map((e) => ({
        user_id: e.userId,
        ...(e.displayname !== null && { display_name: e.displayname }),
        ...(e.avatarUrl !== null && { avatar_url: e.avatarUrl }),
      })),
    };
  }
}
