/** The parts of Client-Server API answers the SDK reads; everything else stays available as unknown. */
export interface MatrixEvent {
  type: string;
  sender?: string;
  state_key?: string;
  event_id?: string;
  origin_server_ts?: number;
  content: Record<string, unknown>;
  unsigned?: { age?: number } & Record<string, unknown>;
}

export interface JoinedRoomSync {
  state?: { events?: MatrixEvent[] };
  timeline?: { events?: MatrixEvent[]; limited?: boolean; prev_batch?: string };
  ephemeral?: { events?: MatrixEvent[] };
  account_data?: { events?: MatrixEvent[] };
}

export interface SyncResponse {
  next_batch: string;
  presence?: { events?: MatrixEvent[] };
  account_data?: { events?: MatrixEvent[] };
  rooms?: {
    join?: Record<string, JoinedRoomSync>;
    invite?: Record<string, unknown>;
    leave?: Record<string, JoinedRoomSync>;
  };
  [key: string]: unknown;
}

export interface VersionsResponse {
  versions: string[];
  unstable_features?: Record<string, boolean>;
}

export interface Session {
  /** Base URL of the homeserver, e.g. https://matrix.example.org */
  homeserver: string;
  userId: string;
  deviceId: string;
  accessToken: string;
}
