import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

/** The first line of `file` when one is given, else asked for with `question`; an empty password is refused. */
export async function passwordFrom(file: string | undefined, question: string): Promise<string> {
  let password: string;
  if (file) {
    try {
      password = readFileSync(file, "utf8").split(/\r?\n/)[0] ?? "";
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    password = await readPassword(question);
  }
  if (password.length === 0) throw new Error("the password is empty");
  return password;
}

/** Asks for a password without echoing it on a terminal; reads one line from stdin otherwise. */
export async function readPassword(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const rl = createInterface({ input: stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return "";
  }
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let value = "";
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          done();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          done();
          reject(new Error("cancelled"));
          return;
        }
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
    };
    stdin.on("data", onData);
  });
}
