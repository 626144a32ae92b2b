import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Content-addressed files under one folder: a file is named by the SHA-256 of its bytes, so the
 * same bytes are stored once. Each is written to a temporary name, flushed, then renamed into
 * place, so a killed process never leaves a partial file under a real name.
 */
export class BlobFiles {
  constructor(private readonly root: string) {}

  /** Stores the bytes (unless already there) and returns their SHA-256, hex. */
  async put(bytes: Uint8Array): Promise<string> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const final = this.pathOf(sha256);
    if (await exists(final)) return sha256;
    const tmpDir = join(this.root, "tmp");
    await mkdir(tmpDir, { recursive: true });
    await mkdir(join(final, ".."), { recursive: true });
    const tmp = join(tmpDir, `${sha256}.${randomBytes(8).toString("hex")}`);
    const file = await open(tmp, "wx", 0o640);
    try {
      await file.writeFile(bytes);
      await file.datasync();
    } catch (err) {
      await file.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await file.close();
    await rename(tmp, final);
    return sha256;
  }

  read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
