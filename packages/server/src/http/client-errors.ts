import { MatrixError, tooLarge, unknown as unknownError } from "@axon/protocol";
import type { Socket } from "node:net";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Requests that never reach a route: HTTP the parser refuses (a request line or headers too
 * long, garbage, a timeout) and URLs the router cannot decode. Both listeners (the framework's and
 * the front thread's) answer them here, as Matrix errors, so a client always gets `{errcode, error}`.
 */

/** How long a refused connection may keep sending (its rest is read and dropped) before it is cut. */
const LINGER_MS = 5000;

const answered = new WeakSet<Duplex>();

/** What Node's `clientError` reports: a code, and the bytes being parsed when it failed. */
export interface ParserFailure {
  code?: string;
  rawPacket?: unknown;
}

/** The Matrix error for a parser failure (`clientError`), or null when there is no one to answer. */
export function parserError(err: ParserFailure): MatrixError | null {
  switch (err.code) {
    case "ECONNRESET":
    case "EPIPE":
      return null;
    case "HPE_HEADER_OVERFLOW":
      // Still on the request line (no line break yet): the URL is what is too long.
      return requestLineTooLong(err.rawPacket)
        ? new MatrixError(414, "M_TOO_LARGE", "Request line too long.")
        : new MatrixError(431, "M_TOO_LARGE", "Request headers too large.");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new MatrixError(408, "M_UNKNOWN", "Request timed out.");
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return tooLarge();
    default:
      return unknownError("Malformed HTTP request.");
  }
}

function requestLineTooLong(raw: unknown): boolean {
  if (!Buffer.isBuffer(raw)) return false;
  const head = raw.subarray(0, 16).toString("latin1");
  return /^[A-Z]+ /.test(head) && raw.indexOf("\r\n") < 0 && raw.indexOf("\n") < 0;
}

/**
 * Answers a parser failure on a raw socket and closes it only after the answer is out. The rest of
 * what the client sends is read and dropped until it stops (or LINGER_MS): closing with unread
 * data would make the kernel reset the connection, and the client could lose the answer.
 */
export function answerOnSocket(err: ParserFailure, socket: Duplex): void {
  // The parser reports again for each further chunk of a connection already answered.
  if (answered.has(socket)) return;
  answered.add(socket);
  const error = parserError(err);
  if (!error || socket.destroyed) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(error.toJSON());
  const head =
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n";
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  socket.on("error", () => socket.destroy());
  if (socket.writable) socket.end(head + body);
  // Drain and drop whatever else arrives; the peer's FIN (or the timer) ends it.
  socket.on("data", () => undefined);
  socket.once("end", () => socket.destroy());
  socket.resume();
  (socket as Partial<Socket>).setTimeout?.(0);
}

/** Answers a URL the router refused (the framework's `frameworkErrors`); a CORS preflight gets its 204 anyway. */
export function answerBadUrl(err: { code: string }, req: FastifyRequest, reply: FastifyReply, preflightHeaders: Readonly<Record<string, string>>): void {
  if (req.method === "OPTIONS") {
    void reply.status(204).headers(preflightHeaders).send();
    return;
  }
  const e = badUrlError(err.code);
  void reply.status(e.status).send(e.toJSON());
}

/** The Matrix error for a URL the router refused (bad percent-encoding, a path parameter too long). */
export function badUrlError(code: string): MatrixError {
  if (code === "FST_ERR_MAX_PARAM_LENGTH") return new MatrixError(414, "M_TOO_LARGE", "A path segment is too long.");
  return new MatrixError(400, "M_UNRECOGNIZED", "The request path is not valid (bad percent-encoding).");
}
