import cors from "@fastify/cors";
import { MatrixError, tooLarge, unrecognized } from "@axon/protocol";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { AppDeps } from "./deps";
import { answerBadUrl, answerOnSocket } from "./client-errors";
import { clientRoutes } from "./routes/index";
import { featureRoutes } from "./routes/features";
import { wellKnownRoutes } from "./routes/well-known";
import { WEB_DIST, webPage } from "../web/web-page";
import { installForwarding, type ForwardOptions } from "../cluster/forward";

export const CLIENT_PREFIXES = ["/_matrix/client/v3", "/_matrix/client/r0"] as const;
export const MAX_BODY = 1024 * 1024;
export const KEEP_ALIVE_TIMEOUT_MS = 75_000;
/** The body of a 500: nothing about the failure reaches the client (it is logged). */
export const INTERNAL_ERROR = { errcode: "M_UNKNOWN", error: "Internal server error." } as const;

/** The CORS answer to a preflight (also for one whose URL the router refuses). */
const PREFLIGHT_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization, Date",
} as const;

export interface AppOptions {
  /** The built web page served at `/` (when `web.enabled`); default packages/web/dist. */
  webRoot?: string;
  /** Told of every answered request (route pattern, status, seconds); set only when metrics are on. */
  observe?: (method: string, route: string, status: number, seconds: number) => void;
  /** Several processes (issue 14): a non-owner forwards all but /sync and stateless requests to the owner. Absent: one process. */
  forward?: ForwardOptions;
}

/** Builds the HTTP app: routes, auth, CORS, the single error handler, and the web page. */
export async function buildApp(deps: AppDeps, logger: Logger, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Our onResponse hook logs one line per request at debug instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // Tens of thousands of long-polls each hold a socket: never time them out server-side.
    requestTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // What never reaches a route still gets a Matrix answer (http/client-errors.ts).
    clientErrorHandler: answerOnSocket,
    frameworkErrors: (err, req, reply) => answerBadUrl(err, req as FastifyRequest, reply as FastifyReply, PREFLIGHT_HEADERS),
  });

  // Every body is read as text and parsed by the route, so bad JSON is M_NOT_JSON, not a framework error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  await app.register(cors, {
    origin: "*",
    methods: PREFLIGHT_HEADERS["access-control-allow-methods"],
    allowedHeaders: PREFLIGHT_HEADERS["access-control-allow-headers"],
    // A preflight without Origin or Access-Control-Request-Method is still answered 204.
    strictPreflight: false,
  });

  // After CORS (preflights stay local), before every route.
  if (opts.forward) installForwarding(app, { clientAddress: (req) => deps.authLimits.addresses.ofRequest(req), ...opts.forward });

  const patterns: { method: string; regex: RegExp }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const regex = new RegExp(
      `^${route.url
        .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
        .replace(/:[A-Za-z0-9_]+/g, "[^/]+")
        .replace(/\*/g, ".*")}/?$`,
    );
    for (const m of methods) if (m !== "OPTIONS" && m !== "HEAD") patterns.push({ method: m, regex });
  });

  app.addHook("onResponse", (req, reply, done) => {
    // Checked first: building the line costs an object and a split per request, even when dropped.
    if (logger.isLevelEnabled("debug")) req.log.debug({ method: req.method, url: req.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
    done();
  });

  const observe = opts.observe;
  if (observe) {
    app.addHook("onResponse", (req, reply, done) => {
      observe(req.method, req.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }

  app.setErrorHandler((err: FastifyError | MatrixError, req, reply) => {
    if (err instanceof MatrixError) {
      void reply.status(err.status).headers(err.headers).send(err.toJSON());
      return;
    }
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      void reply.status(413).send(tooLarge().toJSON());
      return;
    }
    if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
      void reply.status(err.statusCode).send({ errcode: "M_UNKNOWN", error: err.message });
      return;
    }
    req.log.error({ err, method: req.method, url: req.url.split("?")[0] }, "unhandled error");
    void reply.status(500).send(INTERNAL_ERROR);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    const other = patterns.some((p) => p.method !== req.method && p.regex.test(path));
    const err = other ? unrecognized(405, "Method not allowed for this endpoint.") : unrecognized(404, "Unrecognized request.");
    void reply.status(err.status).send(err.toJSON());
  });

  app.get("/health", async () => ({ status: "ok" }));
  await app.register(wellKnownRoutes(deps));
  for (const prefix of CLIENT_PREFIXES) await app.register(clientRoutes(deps), { prefix });
  // Media (raw bodies of their own size), start-up calls, and the /_matrix/client/v1 endpoints.
  await app.register(featureRoutes(deps, CLIENT_PREFIXES));
  if (deps.config.web.enabled) await app.register(webPage(opts.webRoot ?? WEB_DIST, logger));
  // /versions lives outside the versioned prefixes.
  return app;
}
