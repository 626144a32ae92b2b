/**
 * The front thread: owns every client connection. It accepts, reads and parses HTTP, and writes
 * the answers; the main thread, which holds all state, only computes them (http/front-dispatch.ts).
 * Socket work is most of what a woken long-poll costs, so this puts it on a second core.
 *
 * `GET /sync` crosses as its parsed query and token (the hot path); anything else crosses whole
 * and the main thread runs it through the framework. The main thread's answers come back as
 * status, headers and body.
 */
import { tooLarge } from "@axon/protocol";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type net from "node:net";
import { parse as parseQuery } from "node:querystring";
import { parentPort, workerData } from "node:worker_threads";
import { createLogger } from "../log";
import { answerOnSocket } from "./client-errors";
import { JSON_HEADERS, type FromFront, type FrontSettings, type ToFront } from "./front-messages";
import { closeListenerCopies, listenerCopiesOrNone } from "./listener-copies";
import { accessToken } from "./request";

const SYNC_PATH = /^\/_matrix\/client\/(?:v3|r0)\/sync\/?$/;
/** Media uploads carry files: their cap is media.max_upload_size, not the 1 MiB of JSON bodies. */
const UPLOAD_PATH = /^\/_matrix\/media\/(?:v3|r0)\/upload(?:\/|$)/;

const port = parentPort;
if (!port) throw new Error("front-thread.ts runs as a worker thread");
const settings = workerData as FrontSettings;
const log = createLogger(settings.logLevel);

/** Requests waiting for the main thread's answer. */
const waiting = new Map<number, ServerResponse>();
let lastId = 0;

const send = (m: FromFront): void => port.postMessage(m);

const server = http.createServer({ noDelay: true, requestTimeout: 0 }, (req, res) => {
  const id = ++lastId;
  waiting.set(id, res);
  // Fires after the answer too; by then the request is no longer waiting.
  res.once("close", () => {
    if (waiting.delete(id)) send({ t: "hangup", id });
  });
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (req.method === "GET" && SYNC_PATH.test(path)) {
    const query = q < 0 ? {} : parseQuery(url.slice(q + 1));
    send({ t: "sync", id, token: accessToken(req.headers.authorization, query.access_token), query });
    req.resume();
    return;
  }
  readBody(req, res, id, url);
});
// HTTP the parser refuses (too long, malformed) gets a Matrix answer before the connection closes.
server.on("clientError", answerOnSocket);
// Long-polls hold their sockets for as long as they ask; idle keep-alive sockets go after this.
server.keepAliveTimeout = settings.keepAliveTimeoutMs;

/** How long a body over the cap may go on arriving before the 413 is sent anyway. */
const OVERSIZE_DRAIN_MS = 10_000;

/**
 * Reads the body (up to the cap) and hands the request over; a body over the cap is 413 here,
 * answered once the client has finished sending it (read and dropped; at most OVERSIZE_DRAIN_MS):
 * closing while it still sends would reset the connection before it reads the answer.
 */
function readBody(req: IncomingMessage, res: ServerResponse, id: number, url: string): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const q = url.indexOf("?");
  const maxBody = UPLOAD_PATH.test(q < 0 ? url : url.slice(0, q)) ? settings.maxUploadBody : settings.maxBody;
  let over = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refuse = (): void => {
    clearTimeout(timer);
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify(tooLarge().toJSON());
    res.writeHead(413, { ...JSON_HEADERS, "content-length": Buffer.byteLength(body), connection: "close" });
    res.end(body);
  };
  const overCap = (): void => {
    over = true;
    chunks.length = 0;
    waiting.delete(id);
    timer = setTimeout(refuse, OVERSIZE_DRAIN_MS);
  };
  if (Number(req.headers["content-length"]) > maxBody) overCap();
  req.on("data", (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > maxBody) overCap();
    else chunks.push(chunk);
  });
  req.on("end", () => {
    if (over) return refuse();
    if (!waiting.has(id)) return;
    const body = size === 0 ? null : Buffer.concat(chunks, size);
    send({ t: "http", id, method: req.method ?? "GET", url, headers: req.headers, body, remoteAddress: req.socket.remoteAddress });
  });
  req.on("error", () => waiting.delete(id));
}

let copies: net.Server[] = [];

port.on("message", (m: ToFront) => {
  if (m.t === "reply") {
    const res = waiting.get(m.id);
    if (!res) return; // the client went away first
    waiting.delete(m.id);
    if (res.destroyed) return;
    // Set here, off the main thread; without it the answer would go chunked. On the response, not
    // on m.headers: a message's objects may be shared (structured cloning keeps shared references).
    if (m.headers["content-length"] === undefined) res.setHeader("content-length", typeof m.body === "string" ? Buffer.byteLength(m.body) : m.body.byteLength);
    res.writeHead(m.status, m.headers);
    res.end(m.body);
    return;
  }
  // close: stop accepting, drop every connection, and let the thread end.
  closeListenerCopies(copies);
  server.close();
  server.closeAllConnections();
  port.close();
});

server.on("error", (err: NodeJS.ErrnoException) => send({ t: "failed", message: err.message, code: err.code }));
server.listen({ host: settings.host, port: settings.port, backlog: settings.backlog }, () => {
  void listenerCopiesOrNone(server, settings.acceptDescriptors - 1, settings.backlog, log).then((made) => {
    copies = made;
    const addr = server.address();
    send({ t: "listening", port: typeof addr === "object" && addr ? addr.port : settings.port });
  });
});
