// What the bench started, for an interrupted run (SIGINT, SIGTERM): the child processes are killed
// by their pid and the scratch databases dropped; a run that ends normally undoes its own.
import type { ChildProcess } from "node:child_process";

const children = new Set<ChildProcess>();
const disposers = new Set<() => Promise<void>>();

/** Tracks a child until it exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

/** Registers an undo (e.g. drop a database); returns its unregistration. */
export function onInterrupt(dispose: () => Promise<void>): () => void {
  disposers.add(dispose);
  return () => disposers.delete(dispose);
}

/** Kills every tracked child (each by its own pid), then runs the undos; bounded to 20 s. */
export async function cleanUpAll(): Promise<void> {
  for (const c of children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  const undo = Promise.allSettled([...disposers].map((d) => d()));
  await Promise.race([undo, new Promise((r) => setTimeout(r, 20_000).unref())]);
}
