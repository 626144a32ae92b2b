import { badJson, invalidParam, notFound, parseRoomId, parseUserId, type UserId } from "@axon/protocol";
import { z } from "zod";
import type { FilterStore } from "../rooms/ephemeral-store";
import type { SyncFilter } from "./stream-provider";

const strings = z.array(z.string()).optional();
/** Id-valued fields hold ids: a room that is not a room id, or a sender that is not a user id, is refused (as the reference server does). */
const roomIds = z.array(z.string().refine((s) => parseRoomId(s) !== null, { error: (i) => `not a room id: ${JSON.stringify(i.input)}` })).optional();
const userIds = z.array(z.string().refine((s) => parseUserId(s) !== null, { error: (i) => `not a user id: ${JSON.stringify(i.input)}` })).optional();
const eventFilter = z.looseObject({
  limit: z.number().int().min(0).optional(),
  types: strings,
  not_types: strings,
  senders: userIds,
  not_senders: userIds,
});
const roomEventFilter = eventFilter.extend({
  rooms: roomIds,
  not_rooms: roomIds,
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
      rooms: roomIds,
      not_rooms: roomIds,
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
    if (!parsed.success) throw badJson(`Invalid filter: ${issueText(parsed.error)}.`);
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
    if (!parsed.success) throw invalidParam(`Invalid filter: ${issueText(parsed.error)}.`);
    return parsed.data as SyncFilter;
  }
}

/** The first problem, with where it is: `room.timeline.senders.0: not a user id: "x"`. */
export function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "bad shape";
  return issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
}
