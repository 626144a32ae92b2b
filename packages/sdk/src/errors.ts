/** A server's answer that is a Matrix error: its HTTP status, `errcode` and message. */
export class MatrixError extends Error {
  override readonly name = "MatrixError";
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** From `retry_after_ms` or the `Retry-After` header, when the server asked us to wait. */
    readonly retryAfterMs: number | null = null,
    /** The whole error body, for fields this type does not name. */
    readonly body: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** The request never got a Matrix answer: refused, unreachable, aborted, or an answer that is not Matrix JSON. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
  constructor(
    message: string,
    /** True when the caller's own AbortSignal ended the request. */
    readonly aborted = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isMatrixError = (err: unknown, errcode?: string): err is MatrixError =>
  err instanceof MatrixError && (errcode === undefined || err.errcode === errcode);
