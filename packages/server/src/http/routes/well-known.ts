import { BUSY_FEATURE_FLAG, EXPIRY_FEATURE_FLAG } from "@axon/protocol";
import type { FastifyPluginAsync } from "fastify";
import type { AppDeps } from "../deps";

const SPEC_VERSIONS = ["r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11"];

/** Unversioned discovery endpoints. */
export const wellKnownRoutes =
  ({ config }: AppDeps): FastifyPluginAsync =>
  async (app) => {
    // GET /_matrix/client/versions (no auth needed; a token is ignored)
    app.get("/_matrix/client/versions", async () => ({
      versions: SPEC_VERSIONS,
      unstable_features: {
        [BUSY_FEATURE_FLAG]: config.presence.busy_presence,
        [EXPIRY_FEATURE_FLAG]: config.presence.enabled && config.presence.status_expiry,
        // Extended profiles (MSC4133, stable in spec v1.16) at /v3: what matrix-js-sdk looks for.
        "uk.tcpip.msc4133": true,
        "uk.tcpip.msc4133.stable": true,
      },
    }));

    // GET /.well-known/matrix/client
    app.get("/.well-known/matrix/client", async () => ({
      "m.homeserver": { base_url: config.public_baseurl.replace(/\/$/, "") },
    }));
  };
