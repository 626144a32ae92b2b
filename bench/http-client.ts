import http from "node:http";

export interface HttpResult {
  status: number;
  body: unknown;
  /** Request round trip, ms. */
  ms: number;
}

/**
 * A JSON client over node:http keep-alive pools sized for thousands of concurrent long-polls
 * (the default pool keeps only 256 idle sockets and would reconnect the rest on every wake).
 */
export class HttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1_000_000, scheduling: "lifo" });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const u = new URL(baseUrl);
    if (u.hostname !== "127.0.0.1" && u.hostname !== "localhost") throw new Error(`bench targets 127.0.0.1 only, not ${u.hostname}`);
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  request(method: string, path: string, opts: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<HttpResult> {
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
