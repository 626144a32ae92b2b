// Types for build-web.mjs, so TypeScript tests can build the page.
export const WEB_SRC: string;
export const WEB_DIST: string;
/** Bundles the page into `outdir` (default packages/web/dist); returns the files written. */
export function buildWeb(opts?: { outdir?: string }): Promise<{ name: string; bytes: number }[]>;
/** Builds into packages/web/dist unless it already holds a page; returns that folder. */
export function ensureWebBuilt(): Promise<string>;
