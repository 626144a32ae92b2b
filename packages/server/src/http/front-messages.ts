import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/** The headers the framework sends with a JSON answer (CORS allows any origin); answers the threads make themselves send the same. */
export const JSON_HEADERS: Readonly<OutgoingHttpHeaders> = { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" };

/** What the main thread gives the front thread when it starts it. */
export interface FrontSettings {
  host: string;
  port: number;
  backlog: number;
  acceptDescriptors: number;
  maxBody: number;
  /** The cap for media uploads (`media.max_upload_size`), whose bodies are files, not JSON. */
  maxUploadBody: number;
  keepAliveTimeoutMs: number;
  logLevel: string;
}

/** Front thread → main thread. */
export type FromFront =
  | { t: "listening"; port: number }
  | { t: "failed"; message: string; code: string | undefined }
  /** GET /sync, already parsed: the hot path skips the framework. */
  | { t: "sync"; id: number; token: string | null; query: Record<string, string | string[] | undefined> }
  /** Any other request, whole, for the framework. */
  | { t: "http"; id: number; method: string; url: string; headers: IncomingHttpHeaders; body: Uint8Array | null; remoteAddress: string | undefined }
  /** The client of request `id` went away before its answer. */
  | { t: "hangup"; id: number };

/** Main thread → front thread. */
export type ToFront = { t: "reply"; id: number; status: number; headers: OutgoingHttpHeaders; body: string | Uint8Array } | { t: "close" };
