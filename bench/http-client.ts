import http from "node:http";
import { Agent as UndiciAgent, type Dispatcher } from "undici";
import type { ClientKind } from "./options";
import { RawConnection } from "./raw-connection";

export interface HttpResult {
  status: number;
  body: unknown;
  /** Request round trip, ms. */
  ms: number;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  timeoutMs?: number;
  /** A connection of its own, kept for this token (long-polls: one per user, never shared). */
  dedicated?: boolean;
}

/** The one method the scenarios use; two implementations (undici by default, node:http). */
export interface JsonClient {
  request(method: string, path: string, opts?: RequestOptions): Promise<HttpResult>;
  close(): void;
}

export function createClient(kind: ClientKind, baseUrl: string): JsonClient {
  return kind === "undici" ? new UndiciClient(baseUrl) : new HttpClient(baseUrl);
}

/** Loopback only, and a source address only inside 127.0.0.0/8. */
export function checkLocalAddress(address: string | undefined): void {
  if (address !== undefined && !/^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(address)) throw new Error(`bench source addresses are in 127.0.0.0/8 only, not ${address}`);
}

function checkLoopback(baseUrl: string): URL {
  const u = new URL(baseUrl);
  if (u.hostname !== "127.0.0.1" && u.hostname !== "localhost") throw new Error(`bench targets 127.0.0.1 only, not ${u.hostname}`);
  return u;
}


/**
 * undici for ordinary requests (less CPU than node:http). Long-polls (`dedicated`) get a raw
 * connection each: undici's pool looks for a free connection by scanning all of them, so 10,000
 * busy long-polls in the shared pool made every other request cost 10,000 steps (a 20 s stall of
 * the generator at 10,000 users), and a raw connection costs far less per wake.
 */
export class UndiciClient implements JsonClient {
  private readonly agent = new UndiciAgent({ connections: null, pipelining: 1, keepAliveTimeout: 120_000, headersTimeout: 180_000, bodyTimeout: 60_000 });
  private readonly dedicated = new Map<string, RawConnection>();
  private readonly host: string;
  private readonly port: number;
  private readonly origin: string;

  /** `localAddress`: the source address of the long-poll connections (127.0.0.0/8). */
  constructor(
    baseUrl: string,
    private readonly localAddress?: string,
  ) {
    checkLocalAddress(localAddress);
    const u = checkLoopback(baseUrl);
    this.origin = u.origin;
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = "application/json";
    }
    if (opts.dedicated && opts.token) {
      let c = this.dedicated.get(opts.token);
      if (!c) this.dedicated.set(opts.token, (c = new RawConnection(this.host, this.port, this.localAddress)));
      return c.request(method, path, headers, body);
    }
    const start = performance.now();
    const res = await this.agent.request({
      origin: this.origin,
      path,
      method: method as Dispatcher.HttpMethod,
      headers,
      body,
      // No per-request AbortSignal: its timer costs more than the request; the agent's
      // headersTimeout bounds a stuck request instead.
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text for the error message
    }
    return { status: res.statusCode, body: parsed, ms: performance.now() - start };
  }

  close(): void {
    void this.agent.destroy();
    for (const c of this.dedicated.values()) c.close();
    this.dedicated.clear();
  }
}

/**
 * A JSON client over node:http keep-alive pools sized for thousands of concurrent long-polls
 * (the default pool keeps only 256 idle sockets and would reconnect the rest on every wake).
 */
export class HttpClient implements JsonClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1_000_000, scheduling: "lifo" });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const u = checkLoopback(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string | number> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text for the error message
          }
          resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - start });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`timeout after ${opts.timeoutMs} ms`)));
      req.end(payload);
    });
  }

  /** Closes idle sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }
}
