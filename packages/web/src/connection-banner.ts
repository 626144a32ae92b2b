import type { SyncStatus } from "@axon/sdk";
import { h } from "./dom";

/** What the banner says for a connection state; null hides it (all is well). */
export function bannerText(status: SyncStatus, now: number): string | null {
  switch (status.state) {
    case "reconnecting": {
      const s = status.retryAt === null ? 0 : Math.max(0, Math.ceil((status.retryAt - now) / 1000));
      return s > 0 ? `Connection lost. Reconnecting in ${s} s…` : "Connection lost. Reconnecting…";
    }
    case "error":
      return `Disconnected${status.error ? `: ${status.error.message}` : "."}`;
    default:
      return null;
  }
}

/** A banner that says when the page has lost the server and when it tries again (counting down). */
export function connectionBanner(now: () => number = Date.now): { el: HTMLElement; update(status: SyncStatus): void; dispose(): void } {
  const text = h("span");
  const el = h("div", { class: "banner", role: "status", "aria-live": "polite" }, text);
  el.hidden = true;
  let status: SyncStatus = { state: "stopped", retryAt: null, error: null };
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = () => {
    const t = bannerText(status, now());
    el.hidden = t === null;
    if (t !== null && text.textContent !== t) text.textContent = t;
  };
  return {
    el,
    update(next) {
      status = next;
      clearInterval(timer);
      timer = next.state === "reconnecting" ? setInterval(draw, 1000) : undefined;
      draw();
    },
    dispose: () => clearInterval(timer),
  };
}
