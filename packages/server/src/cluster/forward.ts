// Several processes (issue 14): a process that is not the owner answers GET /sync (and what needs
// no state) itself and forwards every other request over HTTP to the owner, answering the client
// with the owner's answer. Registered by http/app.ts only in a cluster; absent, nothing changes.
//
// - Bodies are streamed both ways. The request body is sent only once the connection to the owner
//   is up, so a failed connect consumed nothing and is retried (re-asking who the owner is) for up
//   to `retryForMs`; then 503. Lost after sending (outcome unknown): 502; no data for
//   `idleTimeoutMs`: 504. Always a Matrix error, never a framework body or a reset connection.
// - An answer is held (up to HOLD_BYTES, or whole for in-process `inject`, which buffers anyway)
//   before it reaches the client, so an owner failing while answering is still a clean 502; only a
//   larger answer failing mid-stream cuts the client's connection (the status is already out).
// - The owner marks its answers to forwarded requests with its sync token; the follower waits
//   (bounded) until its own /sync has caught up with it, so the client's next /sync sees its write.
// - A request carrying the secret that reaches a process which is not the owner is refused (503,
//   marked for the forwarder), never forwarded again: no loops.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import type { Logger } from "pino";
import { CLIENT_IP_HEADER, FORWARDED_HEADER, secretMatches } from "../limits/client-address";

export { CLIENT_IP_HEADER, FORWARDED_HEADER };
/** The owner's sync token on its answer to a forwarded request. */
export const SYNC_TOKEN_HEADER = "x-axon-sync-token";
/** Marks the 503 of a process that got a forwarded request but is not the owner. */
export const NOT_OWNER_HEADER = "x-axon-not-owner";

export interface ForwardOptions {
  isOwner(): boolean;
  /** The owner's base URL (the election's currentOwner()?.url); cached, asked again when a forward cannot connect. */
  ownerUrl(): Promise<string | null>;
  /** Shared by the cluster's processes: marks a request as forwarded by a peer. */
  secret: string;
  /** This process's advertised URL: an owner record naming it while it is not the owner is stale. */
  selfUrl?: string;
  /** Follower: resolves once this process's /sync has caught up with the owner's `token` (or gives up after maxMs). */
  waitForToken?(token: string, maxMs: number): Promise<void>;
  /** Owner: the current sync token, put in `x-axon-sync-token` on answers to forwarded requests. */
  currentToken?(): string;
  /** The client's address as rate limits see it (app.ts: authLimits.addresses.ofRequest). */
  clientAddress?(req: FastifyRequest): string;
  log: Pick<Logger, "warn" | "error" | "info">;
  /** How long a request waits for a reachable owner before 503 (default 5 s: a takeover takes 2–3 s). */
  retryForMs?: number;
  /** How long the owner may send nothing before the forward gives up with 504 (default 120 s). */
  idleTimeoutMs?: number;
  /** The longest wait for this process's /sync to catch up (default 2 s). */
  tokenWaitMs?: number;
}

const HOLD_BYTES = 256 * 1024;
const CONNECT_TIMEOUT_MS = 2000;
/** Idle keep-alive sockets to the owner are closed well before the owner's own 75 s would close them under a request. */
const FREE_SOCKET_MS = 30_000;
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host", "expect"]);
const OWN_HEADERS = new Set([FORWARDED_HEADER, CLIENT_IP_HEADER, SYNC_TOKEN_HEADER, NOT_OWNER_HEADER]);
const SYNC_PATH = /^\/_matrix\/client\/(?:v3|r0)\/sync\/?$/;
const VERSIONS_PATH = /^\/_matrix\/client\/versions\/?$/;

/** What a follower answers itself: /sync, what needs no state (versions, /.well-known, /health, the web page) and preflights. */
export function staysLocal(method: string, url: string): boolean {
  if (method === "OPTIONS") return true;
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.startsWith("/_matrix/")) return true;
  return (method === "GET" || method === "HEAD") && (SYNC_PATH.test(path) || VERSIONS_PATH.test(path));
}

/** The headers to pass on: without hop-by-hop ones (and those the Connection header names) nor our own. */
function passOn(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase()),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k) && !OWN_HEADERS.has(k) && !named.has(k) && !k.startsWith("proxy-")) out[k] = v;
  }
  return out;
}

function matrixError(reply: FastifyReply, status: number, error: string, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).send({ errcode: "M_UNKNOWN", error });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Installs forwarding on the app (at its root, after CORS, before the routes). */
export function installForwarding(app: FastifyInstance, opts: ForwardOptions): void {
  const forwarder = new Forwarder(opts);
  app.addHook("onRequest", async (req, reply) => {
    if (opts.isOwner()) return undefined;
    if (secretMatches(req.headers[FORWARDED_HEADER], opts.secret)) {
      return matrixError(reply, 503, "This process is not the owner; try again.", { "retry-after": "1", [NOT_OWNER_HEADER]: "1" });
    }
    if (staysLocal(req.method, req.url)) return undefined;
    return forwarder.forward(req, reply);
  });
  const currentToken = opts.currentToken;
  if (currentToken) {
    app.addHook("onSend", async (req, reply, payload) => {
      if (opts.isOwner() && secretMatches(req.headers[FORWARDED_HEADER], opts.secret)) reply.header(SYNC_TOKEN_HEADER, currentToken());
      return payload;
    });
  }
  app.addHook("onClose", async () => forwarder.close());
}

/** How one try ended: answered (or failed for good), the owner unreachable (nothing sent), or worth another try. */
type Outcome = "answered" | "unreachable" | "retry";

class Forwarder {
  private readonly agents = {
    "http:": new http.Agent({ keepAlive: true, timeout: FREE_SOCKET_MS }),
    "https:": new https.Agent({ keepAlive: true, timeout: FREE_SOCKET_MS }),
  };
  private cached: string | null = null;
  private asking: Promise<string | null> | null = null;
  private readonly retryForMs: number;
  private readonly idleTimeoutMs: number;
  private readonly tokenWaitMs: number;

  constructor(private readonly o: ForwardOptions) {
    this.retryForMs = o.retryForMs ?? 5000;
    this.idleTimeoutMs = o.idleTimeoutMs ?? 120_000;
    this.tokenWaitMs = o.tokenWaitMs ?? 2000;
  }

  close(): void {
    this.agents["http:"].destroy();
    this.agents["https:"].destroy();
  }

  /** Forwards the request and answers it; resolves to undefined when this process became the owner meanwhile (answer here). */
  async forward(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
    const deadline = Date.now() + this.retryForMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      const base = await this.owner();
      if (this.o.isOwner()) return undefined;
      if (base !== null) {
        const outcome = await this.attempt(base, req, reply, hasBody);
        if (outcome === "answered") return reply;
      }
      if (Date.now() + delay > deadline) break;
      await sleep(delay);
    }
    this.o.log.warn({ method: req.method, url: req.url.split("?")[0] }, "forward: no owner process is reachable");
    return matrixError(reply, 503, "No owner process is reachable; try again.", { "retry-after": "2" });
  }

  /** The owner's URL, cached; one question at a time. Null when none is recorded, or the record names this non-owner. */
  private async owner(): Promise<string | null> {
    if (this.cached !== null) return this.cached;
    this.asking ??= this.o
      .ownerUrl()
      .catch((err: unknown) => {
        this.o.log.warn({ err }, "forward: cannot look up the owner");
        return null;
      })
      .finally(() => (this.asking = null));
    const url = await this.asking;
    const usable = url !== null && url.replace(/\/$/, "") !== this.o.selfUrl?.replace(/\/$/, "") ? url : null;
    this.cached ??= usable;
    return usable;
  }

  /** Stops using `url` (asks again next time); logged once per owner URL, not per waiting request. */
  private forget(url: string, err?: Error): void {
    if (this.cached !== url) return;
    this.cached = null;
    if (err) this.o.log.warn({ err: err.message, owner: url }, "forward: cannot connect to the owner; asking again who it is");
  }

  private attempt(base: string, req: FastifyRequest, reply: FastifyReply, hasBody: boolean): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let connected = false;
      let responded = false;
      let timedOut = false;
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined = undefined;
      const settle = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        if (outcome !== "answered") reply.raw.off("close", clientGone);
        resolve(outcome);
      };
      // The client went away: stop the owner's side too.
      const clientGone = (): void => {
        if (!reply.raw.writableFinished) up.destroy();
      };
      /** A failure once the request was (partly) sent: the client gets a Matrix error; what it still sends is read and dropped. */
      const fail = (err: unknown): void => {
        this.o.log.warn({ err, method: req.method, url: req.url.split("?")[0], timedOut }, "forward: the owner did not answer");
        req.raw.unpipe(up);
        req.raw.resume();
        if (reply.sent) reply.raw.destroy();
        else if (timedOut) matrixError(reply, 504, "The owner process did not answer in time; try again.");
        else matrixError(reply, 502, "Lost the connection to the owner process; try again.");
        settle("answered");
      };
      let up: http.ClientRequest;
      try {
        const target = new URL(base);
        const headers = passOn(req.headers);
        headers[FORWARDED_HEADER] = this.o.secret;
        headers[CLIENT_IP_HEADER] = this.o.clientAddress?.(req) ?? req.socket.remoteAddress ?? "unknown";
        const lib = target.protocol === "https:" ? https : http;
        up = lib.request({
          protocol: target.protocol,
          hostname: target.hostname.replace(/^\[(.*)\]$/, "$1"),
          port: target.port,
          path: req.url,
          method: req.method,
          headers,
          agent: target.protocol === "https:" ? this.agents["https:"] : this.agents["http:"],
        });
      } catch (err) {
        this.o.log.error({ err, base }, "forward: cannot make the request to the owner");
        this.forget(base);
        settle("unreachable");
        return;
      }
      connectTimer = setTimeout(() => up.destroy(new Error(`no connection to the owner within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      // The body goes only once connected: a failed connect has consumed nothing, so it can be retried.
      const begin = (): void => {
        connected = true;
        clearTimeout(connectTimer);
        if (!hasBody) up.end();
        else {
          req.raw.once("error", (err) => up.destroy(err));
          req.raw.pipe(up);
        }
      };
      up.once("socket", (s) => (s.connecting ? s.once("connect", begin) : begin()));
      up.setTimeout(this.idleTimeoutMs, () => {
        timedOut = true;
        up.destroy(new Error(`no data from the owner for ${this.idleTimeoutMs} ms`));
      });
      up.on("error", (err: NodeJS.ErrnoException) => {
        if (responded || settled) return;
        if (!connected) {
          this.forget(base, err);
          settle("unreachable");
        } else if (up.reusedSocket && !hasBody && err.code === "ECONNRESET") {
          settle("retry"); // an idle keep-alive socket the owner had just closed: nothing was sent
        } else fail(err);
      });
      reply.raw.once("close", clientGone);
      up.once("response", (res) => {
        responded = true;
        void this.relay(res, req, reply, hasBody, base).then(settle, (err: unknown) => fail(err));
      });
    });
  }

  /** Passes the owner's answer to the client (after its sync token has caught up here). */
  private async relay(res: IncomingMessage, req: FastifyRequest, reply: FastifyReply, hasBody: boolean, base: string): Promise<Outcome> {
    if (res.statusCode === 503 && res.headers[NOT_OWNER_HEADER] !== undefined) {
      // That process no longer owns: ask again. Without a body nothing is lost by trying again.
      this.forget(base);
      if (!hasBody) {
        res.resume();
        return "retry";
      }
    }
    const hold = "isLightMyRequest" in reply.raw ? Infinity : HOLD_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    // An object, so the compiler does not narrow it across the awaits below.
    const answer: { state: "open" | "ended" | "failed" } = { state: "open" };
    let wake = (): void => undefined;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= hold) res.pause();
      wake();
    };
    res.on("data", onData);
    res.once("end", () => ((answer.state = "ended"), wake()));
    res.once("close", () => {
      if (answer.state !== "open") return;
      answer.state = "failed";
      wake();
    });
    res.on("error", () => undefined); // reported by "close" without "end"
    const token = res.headers[SYNC_TOKEN_HEADER];
    if (typeof token === "string") await this.caughtUp(token);
    await new Promise<void>((resolve) => {
      wake = () => (answer.state !== "open" || size >= hold ? resolve() : undefined);
      wake();
    });
    if (answer.state === "failed") throw new Error("the owner's answer was cut short");
    const headers = passOn(res.headers);
    const status = res.statusCode ?? 502;
    const empty = req.method === "HEAD" || status === 204 || status === 304;
    reply.hijack();
    const out = reply.raw;
    if (answer.state === "ended") {
      if (headers["content-length"] === undefined && !empty) headers["content-length"] = size;
      out.writeHead(status, headers);
      out.end(Buffer.concat(chunks, size));
      return "answered";
    }
    // Larger than what is held: stream the rest; from here a failure can only cut the connection.
    res.off("data", onData);
    out.writeHead(status, headers);
    for (const c of chunks) out.write(c);
    res.once("close", () => {
      if (!res.complete) out.destroy();
    });
    res.pipe(out);
    return "answered";
  }

  private async caughtUp(token: string): Promise<void> {
    const wait = this.o.waitForToken;
    if (!wait) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([wait(token, this.tokenWaitMs), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.tokenWaitMs)))]);
    } catch (err) {
      this.o.log.warn({ err, token }, "forward: waiting for the sync token failed");
    } finally {
      clearTimeout(timer);
    }
  }
}
