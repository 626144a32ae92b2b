import { ConnectionError, MatrixError, normaliseHomeserver } from "@axon/sdk";

/** The homeserver as typed, as a URL when it is one; null when it cannot be one. */
export function homeserverUrl(input: string): string | null {
  try {
    return normaliseHomeserver(input);
  } catch {
    return null;
  }
}

/** Why signing in failed, in a sentence, and which field it concerns. */
export function signInError(err: unknown, url: string): { message: string; field: "homeserver" | "password" | null } {
  if (err instanceof MatrixError && err.errcode === "M_FORBIDDEN") return { message: "Wrong username or password.", field: "password" };
  if (err instanceof MatrixError && err.errcode === "M_USER_DEACTIVATED") return { message: "This account has been deactivated.", field: null };
  return { message: requestError(err, url), field: err instanceof ConnectionError ? "homeserver" : null };
}

/** A sentence for a person about why a request to the homeserver at `url` failed. */
export function requestError(err: unknown, url: string): string {
  if (err instanceof MatrixError) {
    if (err.errcode === "M_LIMIT_EXCEEDED") {
      const s = err.retryAfterMs === null ? null : Math.max(1, Math.ceil(err.retryAfterMs / 1000));
      return s === null ? "Too many attempts: wait a moment and try again." : `Too many attempts: try again in ${s} s.`;
    }
    if (err.errcode === "M_UNKNOWN_TOKEN" || err.errcode === "M_MISSING_TOKEN") return "Your session has ended: sign in again.";
    return `${url} refused: ${err.message}`;
  }
  if (err instanceof ConnectionError) {
    if (err.aborted) return "The request was cancelled.";
    // With no network failure underneath, something answered, but not as a Matrix homeserver.
    return err.cause === undefined ? `${url} does not answer as a Matrix homeserver.` : `Cannot reach ${url}.`;
  }
  return `Something went wrong: ${err instanceof Error ? err.message : String(err)}`;
}
