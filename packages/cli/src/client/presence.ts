// `axon presence set|get|watch`: your presence and that of the people you share rooms with.
import { parseUserId } from "@axon/protocol";
import { activeAgo, AxonClient, MatrixError, PRESENCE_STATES, type PresenceInfo, type PresenceState, type SetPresenceResult } from "@axon/sdk";
import { Argument, Command } from "commander";
import { CliError, formatUntil, presenceLine } from "./output";
import { readSession } from "./session-file";
import { parseFor, parseUntil } from "./until";
import { watchPresence } from "./watch";

export function presenceCommand(): Command {
  const presence = new Command("presence").description("your presence, and that of people you share rooms with");
  presence.addCommand(
    new Command("set")
      .description("set your presence; busy falls back to unavailable on a server without MSC3026")
      .addArgument(new Argument("<state>", "the new state").choices(PRESENCE_STATES))
      .option("--status <message>", 'status message ("" clears it)')
      .option("--until <time>", "end this status by itself then: 14:00 (today) or 2026-12-01T14:00")
      .option("--for <length>", "end this status by itself after: 30m, 1h30m, 2h, 1d")
      .option("--json", "print the result as JSON")
      .action(async (state: PresenceState, opts: { status?: string; until?: string; for?: string; json?: boolean }) => {
        if (opts.until !== undefined && opts.for !== undefined) throw new CliError("give --until or --for, not both");
        const client = sessionClient();
        const now = client.clock.now();
        const until = opts.until !== undefined ? parseUntil(opts.until, now) : opts.for !== undefined ? parseFor(opts.for, now) : null;
        const result = await client.setPresence(state, { statusMsg: opts.status, until });
        console.log(opts.json ? JSON.stringify(setJson(client.userId, result)) : setLine(result, now));
      }),
  );
  presence.addCommand(
    new Command("get")
      .description("show someone's presence (yours when no user is given)")
      .argument("[user]", "a user id, e.g. @bob:example.org")
      .option("--json", "print the result as JSON")
      .action(async (user: string | undefined, opts: { json?: boolean }) => {
        if (user !== undefined && !parseUserId(user)) throw new CliError(`"${user}" is not a user id (expected @name:server)`);
        const client = sessionClient();
        const info = await getPresence(client, user ?? client.userId);
        const now = client.clock.now();
        console.log(opts.json ? JSON.stringify(getJson(info)) : getLine(info, now));
      }),
  );
  presence.addCommand(
    new Command("watch")
      .description("show the presence of everyone you share a room with, live, until Ctrl-C")
      .option("--plain", "one line per change instead of a table (the default when stdout is not a terminal)")
      .action(async (opts: { plain?: boolean }) => {
        await watchPresence(sessionClient(), { plain: opts.plain === true });
      }),
  );
  return presence;
}

/** A client for the stored session (or "not logged in"). */
export function sessionClient(): AxonClient {
  return new AxonClient(readSession());
}

async function getPresence(client: AxonClient, userId: string): Promise<PresenceInfo> {
  try {
    return await client.getPresence(userId);
  } catch (err) {
    if (err instanceof MatrixError && err.status === 403 && err.errcode === "M_FORBIDDEN") {
      throw new CliError(`you cannot see ${userId}'s presence (you share no room)`);
    }
    if (err instanceof MatrixError && err.errcode === "M_NOT_FOUND") throw new CliError(`there is no user ${userId}`);
    throw err;
  }
}

/**
 * `--json` of `set`: `requested` is the state asked for, `applied` the one the server now shows
 * (`unavailable` for busy on a server without MSC3026), `fallback` true exactly then, `status_msg`
 * the message sent (null when none was given or it was cleared), `until` when the server ends it
 * (ms since the epoch, or null), `until_unsupported` true when an end was asked for but the server
 * cannot end a status by itself.
 */
export function setJson(userId: string, r: SetPresenceResult): Record<string, unknown> {
  return {
    user_id: userId,
    requested: r.requested,
    applied: r.applied,
    fallback: r.fallback,
    status_msg: r.statusMsg,
    until: r.until,
    until_unsupported: r.untilUnsupported,
  };
}

export function setLine(r: SetPresenceResult, now: number): string {
  const msg = r.statusMsg ? JSON.stringify(r.statusMsg) : "";
  const until = r.until !== null ? ` until ${formatUntil(r.until, now)}` : "";
  const noEnd = r.untilUnsupported ? " This server cannot end a status by itself: it stays until you change it." : "";
  if (r.fallback) return `This server does not support busy; you now appear ${r.applied}${msg ? ` (${msg})` : ""}${until}.${noEnd}`;
  return `You are ${r.applied}${msg ? `: ${msg}` : ""}${until}${noEnd ? `.${noEnd}` : ""}`;
}

/**
 * `--json` of `get`: `presence` is normalised (online, unavailable, offline, busy, or unknown for a
 * value the CLI does not know), `raw` the server's own value, the rest as the server sent them (null when absent).
 */
export function getJson(info: PresenceInfo): Record<string, unknown> {
  return {
    user_id: info.userId,
    presence: info.state,
    raw: info.raw,
    status_msg: info.statusMsg,
    last_active_ago: info.lastActiveAgo,
    currently_active: info.currentlyActive,
    until: info.until,
  };
}

/** `@bob:example.org busy "in a call" until 14:00 (active 3 min ago)`. */
export function getLine(info: PresenceInfo, now: number): string {
  const ago = info.currentlyActive ? "active now" : info.lastActiveAgo === null ? "" : activeAgo(now - info.lastActiveAgo, now);
  const raw = info.state === "unknown" && info.raw ? ` (${JSON.stringify(info.raw)})` : "";
  return `${presenceLine(info.userId, info.state, info.statusMsg, info.until, now)}${raw}${ago ? ` (${ago})` : ""}`;
}
