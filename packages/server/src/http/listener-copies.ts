import { spawn } from "node:child_process";
import net from "node:net";
import type { Logger } from "pino";

/**
 * Why: libuv (1.45 and later, so Node 20) accepts one connection per event-loop turn on each
 * listening descriptor, and leaves the rest for the next turn. Under load a turn takes several
 * milliseconds, so one descriptor admits only a hundred or two new connections a second however
 * fast the server is otherwise; the storm benchmark (10,000 users logging in within a minute)
 * queued logins for seconds in the kernel's accept queue while the server was not even full.
 * Each further descriptor of the same listening socket adds one accept per turn.
 *
 * How: Node 20 has neither dup() nor SO_REUSEPORT, but passing a handle to another process over
 * IPC gives the receiver a new descriptor of the same socket. A short-lived child receives the
 * raw listening handle `count` times and sends each copy straight back (it never listens on
 * them); each copy that comes back becomes a net.Server whose connections go to `server`, as if
 * `server` had accepted them.
 */
export async function addListenerCopies(server: net.Server, count: number, backlog: number, onError: (err: Error) => void): Promise<net.Server[]> {
  if (count <= 0) return [];
  const handle = (server as unknown as { _handle?: unknown })._handle;
  if (!handle) throw new Error("the server is not listening");
  const child = spawn(process.execPath, ["-e", CHILD, String(count)], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const copies: net.Server[] = [];
  let ready = false;
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      // "close" comes after every message the child sent has been delivered.
      child.once("close", (code) => reject(new Error(`the listener-copy helper exited (code ${code}) after ${copies.length} of ${count} copies`)));
      child.on("message", (_msg, raw) => {
        if (!raw) return;
        // Same socket options as an http.Server's own accepts: no Nagle delay on responses.
        const copy = net.createServer({ noDelay: true });
        copy.on("connection", (socket) => server.emit("connection", socket));
        // An accept error later (say, out of descriptors) is logged, as the main server's would be.
        copy.on("error", (err) => (ready ? onError(err) : reject(err)));
        copy.listen(raw, backlog);
        copies.push(copy);
        if (copies.length === count) resolve();
      });
      for (let i = 0; i < count; i++) child.send(i, handle as net.Server);
    });
    ready = true;
  } catch (err) {
    closeListenerCopies(copies);
    throw err;
  } finally {
    child.removeAllListeners("close");
    if (child.connected) child.disconnect();
  }
  return copies;
}

/**
 * addListenerCopies for a server's start-up: if the copies cannot be made, it warns and the
 * server accepts through its one descriptor (only a busy server's intake depends on the copies).
 */
export async function listenerCopiesOrNone(server: net.Server, count: number, backlog: number, log: Pick<Logger, "warn" | "error">): Promise<net.Server[]> {
  try {
    return await addListenerCopies(server, count, backlog, (err) => log.error({ err }, "accept failed"));
  } catch (err) {
    log.warn({ err }, "could not add listening descriptors; accepting through one");
    return [];
  }
}

/**
 * Stops accepting on the copies at once. Connections they accepted belong to the main server,
 * which ends them when it closes: waiting here for them to end would hold up its shutdown.
 */
export function closeListenerCopies(copies: net.Server[]): void {
  for (const c of copies) c.close();
}

/** The child: sends every handle it gets straight back, then exits. */
const CHILD = `
let left = Number(process.argv[1]);
process.on("message", (msg, handle) => process.send(msg, handle, () => { if (--left === 0) process.exit(0); }));
`;
