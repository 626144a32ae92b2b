import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { parseResponse, RawConnection } from "./raw-connection";

const b = (s: string) => Buffer.from(s, "latin1");

test("Content-Length responses complete only when every byte is there", () => {
  const json = Buffer.from('{"a":"é"}', "utf8");
  const bytes = Buffer.concat([b(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\n\r\n`), json]);
  assert.equal(parseResponse(bytes.subarray(0, 20)), null);
  assert.equal(parseResponse(bytes.subarray(0, bytes.length - 1)), null);
  assert.deepEqual(parseResponse(bytes), { status: 200, body: '{"a":"é"}', close: false });
});

test("chunked responses are reassembled; connection: close is reported", () => {
  const r = "HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  assert.equal(parseResponse(b(r.slice(0, r.length - 3))), null);
  assert.deepEqual(parseResponse(b(r)), { status: 429, body: "abcde", close: true });
});

test("a kept-alive connection serves requests in turn against a real server", async () => {
  let connections = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, body })));
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const c = new RawConnection("127.0.0.1", port);
  try {
    const a = await c.request("GET", "/x?y=1", { authorization: "Bearer t" });
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { method: "GET", url: "/x?y=1", auth: "Bearer t", body: "" });
    const p = await c.request("PUT", "/p", { "content-type": "application/json" }, '{"presence":"online"}');
    assert.deepEqual(p.body, { method: "PUT", url: "/p", body: '{"presence":"online"}' });
    assert.equal(connections, 1);
  } finally {
    c.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
