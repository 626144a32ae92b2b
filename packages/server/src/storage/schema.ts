/** Table shapes as Kysely sees them; one implementation serves SQLite and PostgreSQL. Booleans are 0/1 integers and JSON is text on both. */
export interface UsersTable {
  user_id: string;
  password_hash: string | null;
  is_admin: number;
  created_ts: number;
  displayname: string | null;
  avatar_url: string | null;
}

export interface DevicesTable {
  user_id: string;
  device_id: string;
  display_name: string | null;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
  created_ts: number;
}

export interface AccessTokensTable {
  /** sha256 of the token, hex: a leaked database holds no live tokens. */
  token_hash: string;
  user_id: string;
  device_id: string;
  created_ts: number;
}

export interface Database {
  users: UsersTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
}
