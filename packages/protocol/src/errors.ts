/** The one error type for a client's mistake: an HTTP status plus a Matrix errcode. */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Extra top-level keys of the error body (e.g. retry_after_ms). */
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "MatrixError";
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const notJson = (msg = "Content not JSON.") => new MatrixError(400, "M_NOT_JSON", msg);
export const badJson = (msg: string) => new MatrixError(400, "M_BAD_JSON", msg);
export const missingParam = (msg: string) => new MatrixError(400, "M_MISSING_PARAM", msg);
export const invalidParam = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);
export const forbidden = (msg: string) => new MatrixError(403, "M_FORBIDDEN", msg);
export const notFound = (msg: string) => new MatrixError(404, "M_NOT_FOUND", msg);
export const unrecognized = (status: 404 | 405, msg: string) => new MatrixError(status, "M_UNRECOGNIZED", msg);
export const missingToken = () => new MatrixError(401, "M_MISSING_TOKEN", "Missing access token.");
export const unknownToken = () =>
  new MatrixError(401, "M_UNKNOWN_TOKEN", "Unrecognised access token.", { soft_logout: false });
export const tooLarge = (msg = "Request body too large.") => new MatrixError(413, "M_TOO_LARGE", msg);
export const userInUse = () => new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
export const invalidUsername = (msg: string) => new MatrixError(400, "M_INVALID_USERNAME", msg);
export const unknown = (msg: string) => new MatrixError(400, "M_UNKNOWN", msg);
export const roomInUse = () => new MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken.");
export const limitExceeded = (retryAfterMs: number) =>
  new MatrixError(
    429,
    "M_LIMIT_EXCEEDED",
    "Too many requests; slow down.",
    { retry_after_ms: retryAfterMs },
    { "Retry-After": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  );
