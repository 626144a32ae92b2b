import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";

/** Where `npm ci` (scripts/build-web.mjs) puts the built page. */
export const WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

/**
 * The page may talk to any homeserver (its sign-in form names one), so `connect-src *`; everything
 * else only from here, and nothing inline.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src *",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** index.html is asked again every time; the files it names carry their content hash and never change. */
export const HTML_CACHE = "no-cache";
export const ASSET_CACHE = "public, max-age=31536000, immutable";

/**
 * Serves the built web page from `root`: `/` and `/index.html`, and the hashed files beside it, one
 * route each (read when the server starts), so every other path, `/_matrix` included, still gets
 * the app's JSON 404/405. With no built page in `root`, logs a warning and serves nothing.
 */
export function webPage(root: string, log: Logger): FastifyPluginAsync {
  return async (app) => {
    if (!existsSync(join(root, "index.html"))) {
      log.warn({ root }, "the web page is not built (run `node scripts/build-web.mjs`): / answers 404");
      return;
    }
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      index: "index.html",
      decorateReply: false,
      cacheControl: false,
      dotfiles: "ignore",
      setHeaders(res, path) {
        const html = path.endsWith(".html");
        res.setHeader("cache-control", html ? HTML_CACHE : ASSET_CACHE);
        res.setHeader("x-content-type-options", "nosniff");
        if (html) res.setHeader("content-security-policy", WEB_CSP);
      },
    });
  };
}
