// Test helper (not a test file): runs the real `axon` in a child process.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../..", import.meta.url));
export const bin = join(root, "packages/cli/bin/axon.mjs");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, with AXON_DATABASE_URL cleared so only the arguments count. */
export function axon(args: string[], input?: string): Promise<Run> {
  const env = { ...process.env };
  delete env.AXON_DATABASE_URL;
  return new Promise((resolve) => {
    // The bin itself, through its shebang (which carries the server's V8 flags), as `npx axon` runs it.
    const child = execFile(bin, args, { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}
