import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { describe, it } from "node:test";
import { addListenerCopies, closeListenerCopies } from "./listener-copies";

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", 511, resolve));
  return (server.address() as AddressInfo).port;
}

/** Opens `n` connections at once from another process (so that this one can be busy meanwhile) and keeps them a while. */
function connectFromChild(port: number, n: number): void {
  const code = `const net = require("node:net");
for (let i = 0; i < ${n}; i++) net.connect(${port}, "127.0.0.1").on("error", () => {});
setTimeout(() => process.exit(0), 5000);`;
  spawn(process.execPath, ["-e", code], { stdio: "ignore" }).unref();
}

const noError = (err: Error) => assert.fail(err);

describe("listener copies", () => {
  it("each copy listens on the same port and its connections are served by the main server", async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    const port = await listening(server);
    const copies = await addListenerCopies(server, 3, 511, noError);
    try {
      assert.equal(copies.length, 3);
      for (const c of copies) assert.equal((c.address() as AddressInfo).port, port);
      const bodies = await Promise.all(
        Array.from({ length: 40 }, () => fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } }).then((r) => r.text())),
      );
      assert.deepEqual(new Set(bodies), new Set(["ok"]));
    } finally {
      closeListenerCopies(copies);
      await new Promise((resolve) => server.close(resolve));
    }
    // Closed everywhere: the port takes no more connections.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
  });

  it("a busy event loop accepts several connections per turn", async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s.on("error", () => {})));
    let turn = 0;
    const perTurn = new Map<number, number>();
    server.on("connection", () => perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1));
    const port = await listening(server);
    const copies = await addListenerCopies(server, 3, 511, noError);
    try {
      const n = 60;
      connectFromChild(port, n);
      // Each turn blocks for 20 ms, as a loaded server's turns do, until every connection is in.
      await new Promise<void>((resolve) => {
        const spin = () => {
          turn++;
          const until = Date.now() + 20;
          while (Date.now() < until);
          const accepted = [...perTurn.values()].reduce((a, b) => a + b, 0);
          if (accepted >= n || turn > 2000) resolve();
          else setImmediate(spin);
        };
        setImmediate(spin);
      });
      assert.equal([...perTurn.values()].reduce((a, b) => a + b, 0), n);
      // One descriptor accepts once per turn; four accept up to four.
      assert.ok(Math.max(...perTurn.values()) > 1, `at most ${Math.max(...perTurn.values())} per turn`);
    } finally {
      closeListenerCopies(copies);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("no copies asked for: none made, and no helper process", async () => {
    const server = net.createServer();
    await listening(server);
    assert.deepEqual(await addListenerCopies(server, 0, 511, noError), []);
    server.close();
  });

  it("refuses a server that is not listening", async () => {
    await assert.rejects(addListenerCopies(net.createServer(), 2, 511, noError), /not listening/);
  });
});
