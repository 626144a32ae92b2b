import { badJson, invalidParam, notFound, type UserId } from "@axon/protocol";
import { z } from "zod";
import type { FilterStore } from "../rooms/ephemeral-store";
import type { SyncFilter } from "./stream-provider";

const strings = z.array(z.string()).optional();
const eventFilter = z.looseObject({
  limit: z.number().int().min(0).optional(),
  types: strings,
  not_types: strings,
  senders: strings,
  not_senders: strings,
});
const roomEventFilter = eventFilter.extend({
  rooms: strings,
  not_rooms: strings,
  lazy_load_members: z.boolean().optional(),
  include_redundant_members: z.boolean().optional(),
  contains_url: z.boolean().optional(),
  unread_thread_notifications: z.boolean().optional(),
});

export const roomEventFilterSchema = roomEventFilter;

export const syncFilterSchema = z.looseObject({
  event_fields: strings,
  event_format: z.enum(["client", "federation"]).optional(),
  presence: eventFilter.optional(),
  account_data: eventFilter.optional(),
  room: z
    .looseObject({
      rooms: strings,
      not_rooms: strings,
      include_leave: z.boolean().optional(),
      timeline: roomEventFilter.optional(),
      state: roomEventFilter.optional(),
      ephemeral: roomEventFilter.optional(),
      account_data: roomEventFilter.optional(),
    })
    .optional(),
});

/** Stored filters, and turning /sync's `filter` parameter (an id or inline JSON) into a SyncFilter. */
export class FilterService {
  constructor(private readonly store: FilterStore) {}

  async create(userId: UserId, body: Record<string, unknown>): Promise<string> {
    const parsed = syncFilterSchema.safeParse(body);
    if (!parsed.success) throw badJson(`Invalid filter: ${parsed.error.issues[0]?.message ?? "bad shape"}.`);
    return this.store.add(userId, JSON.stringify(body));
  }

  async get(userId: UserId, filterId: string): Promise<Record<string, unknown>> {
    const json = await this.store.get(userId, filterId);
    if (json === null) throw notFound("No such filter.");
    return JSON.parse(json) as Record<string, unknown>;
  }

  async resolve(userId: UserId, param: string | undefined): Promise<SyncFilter> {
    if (param === undefined || param === "") return {};
    let raw: string | null;
    if (param.trimStart().startsWith("{")) raw = param;
    else raw = await this.store.get(userId, param);
    if (raw === null) throw invalidParam(`Unknown filter '${param}'.`);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw invalidParam("The filter is not valid JSON.");
    }
    const parsed = syncFilterSchema.safeParse(value);
    if (!parsed.success) throw invalidParam(`Invalid filter: ${parsed.error.issues[0]?.message ?? "bad shape"}.`);
    return parsed.data as SyncFilter;
  }
}
