// Where `axon login` keeps the session, and how the other client commands read it back.
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { Session } from "@axon/sdk";
import { CliError } from "./output";

/** The file's JSON, in the Matrix spelling of the login answer. */
interface SessionJson {
  homeserver: string;
  user_id: string;
  device_id: string;
  access_token: string;
}

type Env = Record<string, string | undefined>;

/**
 * `AXON_SESSION`, else `$XDG_CONFIG_HOME/axon/session.json`, else `~/.config/axon/session.json`.
 * A relative or empty `XDG_CONFIG_HOME` is ignored, as the XDG spec asks.
 */
export function sessionPath(env: Env = process.env, home: string = homedir()): string {
  if (env.AXON_SESSION) return env.AXON_SESSION;
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(home, ".config");
  return join(base, "axon", "session.json");
}

/** Writes the session readable by its owner only: a 0600 temp file beside it, then a rename, so no reader sees half a file. */
export function writeSession(session: Session, path: string = sessionPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const json: SessionJson = {
    homeserver: session.homeserver,
    user_id: session.userId,
    device_id: session.deviceId,
    access_token: session.accessToken,
  };
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, "w", 0o600);
  try {
    fchmodSync(fd, 0o600); // in case a stale temp file of another mode was there
    writeSync(fd, `${JSON.stringify(json, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Reads and checks the session; no file is "not logged in", a damaged one says so. */
export function readSession(path: string = sessionPath()): Session {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new CliError("not logged in; run axon login first");
    throw new CliError(`cannot read the session file ${path}: ${(err as Error).message}`);
  }
  const damaged = (why: string) => new CliError(`the session file ${path} is damaged (${why}); run axon login again`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw damaged("not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw damaged("not a JSON object");
  const obj = json as Record<string, unknown>;
  for (const key of ["homeserver", "user_id", "device_id", "access_token"] as const) {
    if (typeof obj[key] !== "string" || obj[key] === "") throw damaged(`no ${key}`);
  }
  const s = obj as unknown as SessionJson;
  return { homeserver: s.homeserver, userId: s.user_id, deviceId: s.device_id, accessToken: s.access_token };
}

/** Deletes the session file; true when there was one. */
export function deleteSession(path: string = sessionPath()): boolean {
  try {
    rmSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
