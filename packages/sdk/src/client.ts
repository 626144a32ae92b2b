import { systemClock, type Clock } from "./clock";
import { isMatrixError } from "./errors";
import { MatrixHttp, type FetchLike } from "./http";
import { BUSY_FLAG, EXPIRES_AT_FIELD, EXPIRY_FLAG, parsePresence, toWirePresence, type PresenceState } from "./presence";
import type { Session, SyncResponse, VersionsResponse } from "./types";

export interface ClientOptions {
  fetch?: FetchLike;
  clock?: Clock;
}

export interface PresenceInfo {
  userId: string;
  state: PresenceState | "unknown";
  /** The value exactly as the server sent it. */
  raw: string;
  statusMsg: string | null;
  lastActiveAgo: number | null;
  currentlyActive: boolean | null;
  /** When the user's choice ends by itself (ms since the epoch; Axon's `io.axon.expires_at`), if it does. */
  until: number | null;
}

export interface SetPresenceResult {
  requested: PresenceState;
  /** What was sent: `unavailable` for busy on a server without the MSC3026 flag. */
  applied: PresenceState;
  /** True when busy was asked for but the server has no busy, so the user appears away. */
  fallback: boolean;
  statusMsg: string | null;
  /** When the server will end this choice, or null when it has no end. */
  until: number | null;
  /** An end was asked for, but the server cannot end a choice by itself: this one has no end. */
  untilUnsupported: boolean;
}

export interface CreateRoomOptions {
  name?: string;
  invite?: string[];
  preset?: "private_chat" | "public_chat" | "trusted_private_chat";
  isDirect?: boolean;
  [extra: string]: unknown;
}

const enc = encodeURIComponent;

/** A logged-in Matrix client: the calls the CLI, the web page and apps need, typed. */
export class AxonClient {
  readonly http: MatrixHttp;
  readonly clock: Clock;
  private features: Promise<VersionsResponse> | null = null;

  constructor(
    readonly session: Session,
    readonly options: ClientOptions = {},
  ) {
    this.http = new MatrixHttp(session.homeserver, session.accessToken, options.fetch);
    this.clock = options.clock ?? systemClock;
  }

  /** Logs in with a password (`user` is a localpart or a full user id) and returns a client for the new device. */
  static async login(
    homeserver: string,
    user: string,
    password: string,
    options: ClientOptions & { deviceName?: string } = {},
  ): Promise<AxonClient> {
    const http = new MatrixHttp(homeserver, null, options.fetch);
    const res = await http.request<{ user_id: string; access_token: string; device_id: string; well_known?: unknown }>("POST", "v3/login", {
      auth: false,
      body: {
        type: "m.login.password",
        identifier: { type: "m.id.user", user },
        password,
        initial_device_display_name: options.deviceName ?? "Axon SDK",
      },
    });
    return new AxonClient({ homeserver: http.baseUrl, userId: res.user_id, deviceId: res.device_id, accessToken: res.access_token }, options);
  }

  get userId(): string {
    return this.session.userId;
  }

  async whoami(): Promise<{ userId: string; deviceId: string | null }> {
    const res = await this.http.request<{ user_id: string; device_id?: string }>("GET", "v3/account/whoami");
    return { userId: res.user_id, deviceId: res.device_id ?? null };
  }

  /** Logs this device out; its token stops working. */
  async logout(): Promise<void> {
    await this.http.request("POST", "v3/logout", { body: {} });
  }

  async versions(signal?: AbortSignal): Promise<VersionsResponse> {
    return this.http.request<VersionsResponse>("GET", "versions", { signal });
  }

  /**
   * MSC3026's client rule: busy only when `/versions` says `org.matrix.msc3026.busy_presence: true`.
   * Cached; `refresh` asks again (the sync loop does after a reconnect).
   */
  async supportsBusy(opts: { refresh?: boolean } = {}): Promise<boolean> {
    return (await this.cachedVersions(opts.refresh)).unstable_features?.[BUSY_FLAG] === true;
  }

  /** Whether the server ends a presence choice on time (`io.axon.presence_expiry`); cached like supportsBusy. */
  async supportsPresenceExpiry(opts: { refresh?: boolean } = {}): Promise<boolean> {
    return (await this.cachedVersions(opts.refresh)).unstable_features?.[EXPIRY_FLAG] === true;
  }

  private cachedVersions(refresh = false): Promise<VersionsResponse> {
    if (refresh || this.features === null) {
      const asked = this.versions();
      // A failed look-up is not cached: the next call asks again.
      asked.catch(() => {
        if (this.features === asked) this.features = null;
      });
      this.features = asked;
    }
    return this.features;
  }

  async getPresence(userId: string = this.userId): Promise<PresenceInfo> {
    const res = await this.http.request("GET", `v3/presence/${enc(userId)}/status`);
    return presenceInfo(userId, res);
  }

  /**
   * Sets your presence. Busy goes out as `org.matrix.msc3026.busy` when the server supports it and as
   * `unavailable` when not (the MSC's fallback), keeping the status message either way.
   * `statusMsg` undefined leaves the message out of the request; null or "" clears it.
   * `until` (a Date or ms since the epoch): the choice ends by itself then, as if cleared, on a server
   * that says it can (`io.axon.presence_expiry`); elsewhere it is not sent and `untilUnsupported` says so.
   */
  async setPresence(state: PresenceState, opts: { statusMsg?: string | null; until?: Date | number | null } = {}): Promise<SetPresenceResult> {
    const fallback = state === "busy" && !(await this.supportsBusy());
    const applied: PresenceState = fallback ? "unavailable" : state;
    const body: Record<string, unknown> = { presence: toWirePresence(applied) };
    if (opts.statusMsg !== undefined) body.status_msg = opts.statusMsg ?? "";
    const wanted = opts.until == null ? null : typeof opts.until === "number" ? opts.until : opts.until.getTime();
    const untilUnsupported = wanted !== null && !(await this.supportsPresenceExpiry());
    const until = untilUnsupported ? null : wanted;
    if (until !== null) body[EXPIRES_AT_FIELD] = Math.round(until);
    await this.http.request("PUT", `v3/presence/${enc(this.userId)}/status`, { body });
    return { requested: state, applied, fallback, statusMsg: opts.statusMsg ? opts.statusMsg : null, until, untilUnsupported };
  }

  async getDisplayName(userId: string = this.userId): Promise<string | null> {
    try {
      const res = await this.http.request("GET", `v3/profile/${enc(userId)}/displayname`);
      return typeof res.displayname === "string" ? res.displayname : null;
    } catch (err) {
      if (isMatrixError(err, "M_NOT_FOUND")) return null;
      throw err;
    }
  }

  async setDisplayName(name: string): Promise<void> {
    await this.http.request("PUT", `v3/profile/${enc(this.userId)}/displayname`, { body: { displayname: name } });
  }

  async joinedRooms(): Promise<string[]> {
    const res = await this.http.request<{ joined_rooms: string[] }>("GET", "v3/joined_rooms");
    return res.joined_rooms;
  }

  /** Joined members of a room, with their display names in that room. */
  async joinedMembers(roomId: string): Promise<Record<string, { displayName: string | null }>> {
    const res = await this.http.request<{ joined: Record<string, { display_name?: string | null }> }>("GET", `v3/rooms/${enc(roomId)}/joined_members`);
    return Object.fromEntries(Object.entries(res.joined).map(([id, m]) => [id, { displayName: m.display_name ?? null }]));
  }

  async createRoom(opts: CreateRoomOptions = {}): Promise<string> {
    const { isDirect, ...rest } = opts;
    const body: Record<string, unknown> = { ...rest };
    if (isDirect !== undefined) body.is_direct = isDirect;
    const res = await this.http.request<{ room_id: string }>("POST", "v3/createRoom", { body });
    return res.room_id;
  }

  async joinRoom(roomIdOrAlias: string): Promise<string> {
    const res = await this.http.request<{ room_id: string }>("POST", `v3/join/${enc(roomIdOrAlias)}`, { body: {} });
    return res.room_id;
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.http.request("POST", `v3/rooms/${enc(roomId)}/invite`, { body: { user_id: userId } });
  }

  /** Sends an `m.text` message; returns its event id. */
  async sendMessage(roomId: string, text: string): Promise<string> {
    return this.sendEvent(roomId, "m.room.message", { msgtype: "m.text", body: text });
  }

  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    const txn = `axon${this.clock.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    const res = await this.http.request<{ event_id: string }>("PUT", `v3/rooms/${enc(roomId)}/send/${enc(type)}/${txn}`, { body: content });
    return res.event_id;
  }

  async sendStateEvent(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<string> {
    const res = await this.http.request<{ event_id: string }>("PUT", `v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { body: content });
    return res.event_id;
  }

  /** Your global account data of a type, or null when there is none. */
  async getAccountData(type: string): Promise<Record<string, unknown> | null> {
    try {
      return await this.http.request("GET", `v3/user/${enc(this.userId)}/account_data/${enc(type)}`);
    } catch (err) {
      if (isMatrixError(err, "M_NOT_FOUND")) return null;
      throw err;
    }
  }

  async setAccountData(type: string, content: Record<string, unknown>): Promise<void> {
    await this.http.request("PUT", `v3/user/${enc(this.userId)}/account_data/${enc(type)}`, { body: content });
  }

  /** Uploads a filter and returns its id. */
  async uploadFilter(filter: Record<string, unknown>): Promise<string> {
    const res = await this.http.request<{ filter_id: string }>("POST", `v3/user/${enc(this.userId)}/filter`, { body: filter });
    return res.filter_id;
  }

  /** One `/sync` request; `timeout` is the long-poll in ms. */
  async sync(params: { since?: string; timeout?: number; filter?: string; setPresence?: "online" | "unavailable" | "offline"; signal?: AbortSignal }): Promise<SyncResponse> {
    return this.http.request<SyncResponse>("GET", "v3/sync", {
      query: { since: params.since, timeout: params.timeout, filter: params.filter, set_presence: params.setPresence },
      signal: params.signal,
      // The long-poll itself plus a margin for a slow answer.
      timeoutMs: (params.timeout ?? 0) + 30_000,
    });
  }
}

/** Turns a GET presence answer or an m.presence event's content into PresenceInfo. */
export function presenceInfo(userId: string, content: Record<string, unknown>): PresenceInfo {
  const raw = typeof content.presence === "string" ? content.presence : "";
  return {
    userId,
    state: parsePresence(raw),
    raw,
    statusMsg: typeof content.status_msg === "string" && content.status_msg !== "" ? content.status_msg : null,
    lastActiveAgo: typeof content.last_active_ago === "number" ? content.last_active_ago : null,
    currentlyActive: typeof content.currently_active === "boolean" ? content.currently_active : null,
    until: typeof content[EXPIRES_AT_FIELD] === "number" ? (content[EXPIRES_AT_FIELD] as number) : null,
  };
}
