import { sql, type Kysely } from "kysely";
import type { DirectoryEntry, DirectoryQuery, UserDirectoryStore } from "../directory/user-directory";
import type { Database } from "./schema";

/** A word for LIKE (with `escape '\'`): its own % _ and \ taken literally. */
const literal = (word: string) => word.replace(/[\\%_]/g, (c) => `\\${c}`);

export class SqlUserDirectoryStore implements UserDirectoryStore {
  constructor(private readonly db: Kysely<Database>) {}

  async search(q: DirectoryQuery): Promise<DirectoryEntry[]> {
    let query = this.db
      .selectFrom("users as u")
      .select(["u.user_id", "u.displayname", "u.avatar_url"])
      .where("u.user_id", "!=", q.searcher);
    for (const word of q.words) {
      const pattern = `%${literal(word)}%`;
      query = query.where((eb) =>
        eb.or([
          eb(sql`lower(u.user_id)`, "like", sql`${pattern} escape '\\'`),
          eb(sql`lower(coalesce(u.displayname, ''))`, "like", sql`${pattern} escape '\\'`),
        ]),
      );
    }
    if (!q.everyone) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom("room_memberships as mine")
            .innerJoin("room_memberships as theirs", "theirs.room_id", "mine.room_id")
            .select(sql`1`.as("one"))
            .where("mine.user_id", "=", q.searcher)
            .where("mine.membership", "=", "join")
            .whereRef("theirs.user_id", "=", "u.user_id")
            .where("theirs.membership", "=", "join"),
        ),
      );
    }
    const first = literal(q.words[0] ?? "");
    // Names and ids that start with the first word come first, then alphabetical.
    const rows = await query
      .orderBy(sql`case when lower(coalesce(u.displayname, '')) like ${`${first}%`} escape '\\' or lower(u.user_id) like ${`@${first}%`} escape '\\' then 0 else 1 end`)
      .orderBy(sql`lower(coalesce(u.displayname, u.user_id))`)
      .orderBy("u.user_id")
      .limit(q.limit)
      .execute();
    return rows.map((r) => ({ userId: r.user_id, displayname: r.displayname, avatarUrl: r.avatar_url }));
  }
}
