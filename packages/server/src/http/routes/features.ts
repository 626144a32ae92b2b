import type { FastifyPluginAsync } from "fastify";
import type { AppDeps } from "../deps";
import { mediaRoutes } from "./media";
import { redactionRoutes, relationRoutes } from "./relations";
import { searchRoutes } from "./search";
import { startupRoutes, startupV1Routes } from "./startup";
import { userDirectoryRoutes } from "./user-directory";

/**
 * Element's everyday features (issue 16), registered at the root: media under its own prefixes,
 * the versioned client API under each client prefix, and the /_matrix/client/v1 endpoints.
 */
export const featureRoutes =
  (deps: AppDeps, clientPrefixes: readonly string[]): FastifyPluginAsync =>
  async (app) => {
    await app.register(mediaRoutes(deps));
    for (const prefix of clientPrefixes) {
      for (const routes of [startupRoutes, userDirectoryRoutes, redactionRoutes, searchRoutes]) await app.register(routes(deps), { prefix });
    }
    for (const routes of [startupV1Routes, relationRoutes]) await app.register(routes(deps), { prefix: "/_matrix/client/v1" });
  };
