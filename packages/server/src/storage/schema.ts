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

export interface RoomsTable {
  room_id: string;
  room_version: string;
  creator: string;
  is_public: number;
  created_ts: number;
}

export interface EventsTable {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key: string | null;
  content: string;
  origin_server_ts: number;
  depth: number;
  prev_events: string;
  auth_events: string;
  unsigned: string | null;
  txn_device_id: string | null;
  txn_id: string | null;
  /** 1 once another event relates to this one (migration 0011). */
  has_relations: number;
}

export interface RoomStateTable {
  room_id: string;
  type: string;
  state_key: string;
  event_id: string;
}

export interface RoomMembershipsTable {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_ordering: number;
  forgotten: number;
}

export interface RoomAliasesTable {
  alias: string;
  room_id: string;
  creator: string;
}

export interface SyncFiltersTable {
  user_id: string;
  filter_id: string;
  filter_json: string;
}

export interface AccountDataTable {
  user_id: string;
  room_id: string;
  type: string;
  content: string;
  stream_id: number;
}

export interface ReceiptsTable {
  room_id: string;
  receipt_type: string;
  user_id: string;
  thread_id: string;
  event_id: string;
  ts: number;
  stream_id: number;
}

export interface PresenceTable {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: number | null;
  busy_from_call: number;
  /** When the explicit choice ends (ms); null: no end. */
  expires_ts: number | null;
  updated_ts: number;
}

export interface MediaTable {
  media_id: string;
  user_id: string;
  created_ts: number;
  expires_ts: number | null;
  content_type: string | null;
  upload_name: string | null;
  size: number | null;
  sha256: string | null;
  uploaded_ts: number | null;
}

export interface MediaThumbnailsTable {
  media_id: string;
  width: number;
  height: number;
  method: string;
  animated: number;
  content_type: string;
  size: number;
  sha256: string;
}

export interface ProfileFieldsTable {
  user_id: string;
  key: string;
  /** JSON text. */
  value: string;
  set_by_server: number;
}

export interface ReportsTable {
  report_id: string;
  reporter: string;
  room_id: string;
  event_id: string | null;
  reason: string | null;
  score: number | null;
  received_ts: number;
}

export interface EventRelationsTable {
  event_id: string;
  room_id: string;
  relates_to: string;
  rel_type: string;
  sender: string;
  type: string;
  stream_ordering: number;
  origin_server_ts: number;
}

export interface EventNotificationsTable {
  user_id: string;
  room_id: string;
  stream_ordering: number;
  event_id: string;
  highlight: number;
  /** The push actions, JSON. */
  actions: string;
  ts: number;
}

export interface PushersTable {
  user_id: string;
  /** The device whose access token set it: the pusher goes when that device does. */
  device_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  /** The pusher's `data` (url, format, anything else the client sent), JSON. */
  data: string;
  /** When it was last set (ms): `pushkey_ts` in notify requests. */
  created_ts: number;
}

/** The cluster's owner (PostgreSQL only; one row, id 1), written by cluster/owner-election.ts. */
export interface ClusterOwnerTable {
  id: number;
  process_id: string;
  /** Internal URL other processes forward owner-only requests to. */
  url: string;
  /** Grows by one each time ownership changes hands. */
  epoch: number;
  /** When this owner took over (ms). */
  since: number;
}

/** The newest position handed out per stream, where the stream's own rows may be deleted. */
export interface StreamPositionsTable {
  stream: string;
  position: number;
}

/** Values a cluster's processes share (name → value). */
export interface ClusterSettingsTable {
  name: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  devices: DevicesTable;
  access_tokens: AccessTokensTable;
  rooms: RoomsTable;
  events: EventsTable;
  room_state: RoomStateTable;
  room_memberships: RoomMembershipsTable;
  room_aliases: RoomAliasesTable;
  sync_filters: SyncFiltersTable;
  account_data: AccountDataTable;
  receipts: ReceiptsTable;
  presence: PresenceTable;
  media: MediaTable;
  media_thumbnails: MediaThumbnailsTable;
  reports: ReportsTable;
  event_relations: EventRelationsTable;
  profile_fields: ProfileFieldsTable;
  event_notifications: EventNotificationsTable;
  pushers: PushersTable;
  cluster_owner: ClusterOwnerTable;
  stream_positions: StreamPositionsTable;
  cluster_settings: ClusterSettingsTable;
}
