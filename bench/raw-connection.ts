import { connect, type Socket } from "node:net";
import type { HttpResult } from "./http-client";

/**
 * One keep-alive HTTP/1.1 connection with the least machinery possible: the request is one
 * string write, the response is parsed from the bytes (Content-Length or chunked). Long-polls are
 * most of what the generator does, and undici's per-request objects and parser cost several
 * times this; the saved CPU is what lets one generator keep up with thousands of wakes a second.
 * One request at a time; a response's leftover bytes are an error (no pipelining).
 */
export class RawConnection {
  private socket: Socket | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private pending: { resolve: (r: HttpResult) => void; reject: (e: Error) => void; start: number } | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** Source address of the socket (another address of 127.0.0.0/8 gives another range of ephemeral ports). */
    private readonly localAddress?: string,
  ) {}

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpResult> {
    if (this.pending) return Promise.reject(new Error("RawConnection: one request at a time"));
    const socket = this.socket ?? this.open();
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    if (body !== undefined) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    head += "\r\n";
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, start: performance.now() };
      socket.write(body === undefined ? head : head + body);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): Socket {
    const s = connect({ host: this.host, port: this.port, noDelay: true, ...(this.localAddress && { localAddress: this.localAddress }) });
    this.socket = s;
    this.chunks = [];
    this.size = 0;
    s.on("data", (d: Buffer) => this.onData(d));
    const gone = (err?: Error) => {
      if (this.socket === s) this.socket = null;
      const p = this.pending;
      this.pending = null;
      p?.reject(err ?? new Error("connection closed"));
    };
    s.on("error", gone);
    s.on("close", () => gone());
    return s;
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.size += d.length;
    const buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    const parsed = parseResponse(buf);
    if (!parsed) {
      this.chunks = [buf];
      return;
    }
    this.chunks = [];
    this.size = 0;
    const p = this.pending;
    this.pending = null;
    if (parsed.close) this.close();
    if (!p) return;
    let body: unknown = parsed.body;
    try {
      body = parsed.body ? JSON.parse(parsed.body) : null;
    } catch {
      // not JSON: keep the text
    }
    p.resolve({ status: parsed.status, body, ms: performance.now() - p.start });
  }
}

/** A complete response in `buf`, or null while bytes are missing. Exported for tests. */
export function parseResponse(buf: Buffer): { status: number; body: string; close: boolean } | null {
  const headEnd = buf.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const head = buf.toString("latin1", 0, headEnd);
  const status = Number(head.slice(9, 12));
  const close = /\r\nconnection:\s*close/i.test(head);
  const start = headEnd + 4;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const end = start + Number(length[1]);
    return buf.length < end ? null : { status, body: buf.toString("utf8", start, end), close };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const lineEnd = buf.indexOf("\r\n", at);
      if (lineEnd < 0) return null;
      const n = parseInt(buf.toString("latin1", at, lineEnd), 16);
      if (n === 0) {
        return buf.length < lineEnd + 4 ? null : { status, body: Buffer.concat(parts).toString("utf8"), close };
      }
      const dataEnd = lineEnd + 2 + n;
      if (buf.length < dataEnd + 2) return null;
      parts.push(buf.subarray(lineEnd + 2, dataEnd));
      at = dataEnd + 2;
    }
  }
  // No length and not chunked: only a bodiless status fits on a kept-alive connection.
  return { status, body: "", close };
}
