import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { createTestServer, type TestServer } from "./support";

/**
 * Malformed requests sent as raw bytes over a socket, on both listeners (the front thread and the
 * framework's own): every one gets a Matrix `{errcode, error}` with the right status, never a 5xx,
 * and the connection either stays usable or closes only after the whole answer arrived.
 */

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** A socket error (e.g. ECONNRESET) seen before the answer was complete. */
  error: string | null;
  socket: net.Socket;
}

/** Sends `data` and resolves with the first complete answer (or what arrived when the socket ended). */
function send(socket: net.Socket, data: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let error: string | null = null;
    const finish = () => {
      socket.off("data", onData);
      socket.off("close", finish);
      socket.off("error", onError);
      resolve({ ...parse(buf), error, socket });
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (complete(buf)) finish();
    };
    const onError = (err: NodeJS.ErrnoException) => {
      if (!complete(buf)) error = err.code ?? err.message;
    };
    socket.on("data", onData);
    socket.on("close", finish);
    socket.on("error", onError);
    socket.write(data, () => undefined);
  });
}

function complete(buf: Buffer): boolean {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString("latin1");
  // A 204 has no body, whatever its headers say.
  if (/^HTTP\/1\.1 204 /.test(head)) return true;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  return length !== null && buf.length >= end + 4 + Number(length[1]);
}

function parse(buf: Buffer): Omit<RawAnswer, "error" | "socket"> {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: buf.toString("latin1") };
  const [statusLine = "", ...lines] = buf.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: buf.subarray(end + 4).toString("utf8") };
}

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: axon\r\n${extra}\r\n`;
const longFilter = encodeURIComponent(JSON.stringify({ room: { rooms: Array.from({ length: 20_000 }, (_, i) => `!room${i}:axon`) } }));

interface Case {
  name: string;
  request: string | Buffer;
  status: number;
  /** Accepted errcodes; none means the answer is not an error (a preflight). */
  errcodes?: string[];
  /** The connection must stay usable for a next request. */
  keepAlive: boolean;
}

const cases: Case[] = [
  { name: "bad percent-encoding %ZZ", request: get("/_matrix/client/v3/rooms/%ZZ/state"), status: 400, errcodes: ["M_UNRECOGNIZED", "M_INVALID_PARAM"], keepAlive: true },
  { name: "invalid UTF-8 %FF%FE", request: get("/_matrix/client/v3/profile/%FF%FE"), status: 400, errcodes: ["M_UNRECOGNIZED", "M_INVALID_PARAM"], keepAlive: true },
  { name: "overlong UTF-8 %C0%AF", request: get("/_matrix/client/v3/profile/%C0%AF"), status: 400, errcodes: ["M_UNRECOGNIZED", "M_INVALID_PARAM"], keepAlive: true },
  { name: "lone surrogate %ED%A0%80", request: get("/_matrix/client/v3/rooms/%ED%A0%80/members"), status: 400, errcodes: ["M_UNRECOGNIZED", "M_INVALID_PARAM"], keepAlive: true },
  { name: "path segment over the parameter limit", request: get(`/_matrix/client/v3/profile/${"a".repeat(2000)}`), status: 414, errcodes: ["M_TOO_LARGE"], keepAlive: true },
  { name: "request line too long", request: get(`/_matrix/client/versions?x=${"a".repeat(100_000)}`), status: 414, errcodes: ["M_TOO_LARGE"], keepAlive: false },
  { name: "/sync with a few hundred KB of inline filter", request: get(`/_matrix/client/v3/sync?filter=${longFilter}`), status: 414, errcodes: ["M_TOO_LARGE"], keepAlive: false },
  { name: "headers too large", request: get("/_matrix/client/versions", `X-Big: ${"b".repeat(20_000)}\r\n`), status: 431, errcodes: ["M_TOO_LARGE"], keepAlive: false },
  { name: "not HTTP at all", request: "HELLO THERE\r\n\r\n", status: 400, errcodes: ["M_UNKNOWN"], keepAlive: false },
  { name: "bad header line", request: "GET /_matrix/client/versions HTTP/1.1\r\nHost axon\r\n\r\n", status: 400, errcodes: ["M_UNKNOWN"], keepAlive: false },
  {
    name: "body over 1 MiB (Content-Length)",
    request: Buffer.concat([Buffer.from("POST /_matrix/client/v3/login HTTP/1.1\r\nHost: axon\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n"), Buffer.alloc(2 * 1024 * 1024, 0x20)]),
    status: 413,
    errcodes: ["M_TOO_LARGE"],
    keepAlive: false,
  },
  {
    name: "body over 1 MiB (chunked)",
    request: Buffer.concat([
      Buffer.from("POST /_matrix/client/v3/login HTTP/1.1\r\nHost: axon\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"),
      Buffer.from(`200000\r\n${" ".repeat(0x200000)}\r\n0\r\n\r\n`),
    ]),
    status: 413,
    errcodes: ["M_TOO_LARGE"],
    keepAlive: false,
  },
  { name: "bad chunk size", request: "POST /_matrix/client/v3/login HTTP/1.1\r\nHost: axon\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n", status: 400, errcodes: ["M_UNKNOWN"], keepAlive: false },
  { name: "preflight without Origin", request: "OPTIONS /_matrix/client/v3/sync HTTP/1.1\r\nHost: axon\r\n\r\n", status: 204, keepAlive: true },
  { name: "preflight to an unknown /_matrix path", request: "OPTIONS /_matrix/nothing/here HTTP/1.1\r\nHost: axon\r\nOrigin: https://app.example\r\n\r\n", status: 204, keepAlive: true },
  { name: "preflight with bad percent-encoding", request: "OPTIONS /_matrix/client/v3/rooms/%ZZ/send/m.room.message/1 HTTP/1.1\r\nHost: axon\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: PUT\r\n\r\n", status: 204, keepAlive: true },
];

for (const frontThread of [true, false]) {
  describe(`raw malformed requests, front_thread ${frontThread}`, () => {
    let t: TestServer;
    let port = 0;
    before(async () => {
      t = await createTestServer({ listen: { front_thread: frontThread } });
      port = Number(new URL(await t.server.listen()).port);
    });
    after(() => t.close());

    for (const c of cases) {
      test(c.name, async () => {
        const socket = net.connect(port, "127.0.0.1");
        try {
          const res = await send(socket, c.request);
          assert.equal(res.error, null, `connection failed before the answer: ${res.error}`);
          assert.equal(res.status, c.status, res.body.slice(0, 200));
          if (c.errcodes) {
            assert.match(res.headers["content-type"] ?? "", /^application\/json/);
            const body = JSON.parse(res.body) as { errcode?: string; error?: string };
            assert.ok(c.errcodes.includes(body.errcode ?? ""), `errcode ${body.errcode}`);
            assert.equal(typeof body.error, "string");
          } else {
            assert.equal(res.headers["access-control-allow-origin"], "*");
            assert.match(res.headers["access-control-allow-methods"] ?? "", /PUT/);
          }
          if (c.keepAlive) {
            const next = await send(socket, get("/_matrix/client/versions"));
            assert.equal(next.status, 200, "the connection stays usable");
          } else {
            assert.equal(res.headers.connection, "close");
          }
        } finally {
          socket.destroy();
        }
      });
    }
  });
}
