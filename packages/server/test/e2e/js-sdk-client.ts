// matrix-js-sdk 37.5.0 helpers for the end-to-end tests: a quiet client, logged in for real.
import { createClient, type MatrixClient } from "matrix-js-sdk";
import type { Logger } from "matrix-js-sdk/lib/logger";

const noop = (): void => {};

/** The SDK logs every request at debug level; keep test output readable unless asked. */
export const quietLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: process.env.AXON_E2E_LOG ? console.warn : noop,
  error: process.env.AXON_E2E_LOG ? console.error : noop,
  getChild: () => quietLogger,
};

/**
 * Logs in through loginWithPassword (it sends the legacy top-level `user`), then, as the SDK advises,
 * builds a client from the full credentials (the login call alone does not keep the device id).
 */
export async function loginClient(baseUrl: string, user: string, password: string): Promise<MatrixClient> {
  const login = await createClient({ baseUrl, logger: quietLogger }).loginWithPassword(user, password);
  return createClient({
    baseUrl,
    userId: login.user_id,
    accessToken: login.access_token,
    deviceId: login.device_id,
    logger: quietLogger,
  });
}
