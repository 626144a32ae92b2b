import { Command, InvalidArgumentError } from "commander";

export function serveCommand(): Command {
  return new Command("serve")
    .description("run the homeserver (no config file: SQLite in ./data, http://127.0.0.1:8008)")
    .option("-c, --config <file>", "YAML config file (see axon.example.yaml)")
    .option("--database-url <url>", "override database.url (sqlite:PATH or postgres://...)")
    .option("--port <port>", "override listen.port (e.g. one config file for several processes of a cluster)", parsePort)
    .action(async (opts: { config?: string; databaseUrl?: string; port?: number }) => {
      // Loaded here, not at the top: the client commands should not pay for starting a server's modules.
      const { createServer, loadConfig } = await import("@axon/server");
      const config = loadConfig(opts.config, { databaseUrl: opts.databaseUrl, port: opts.port });
      const server = await createServer(config);
      const url = await server.listen();
      console.log(`Axon is listening on ${url} (server_name ${config.server_name})`);
      console.log(`Data: ${server.database.dialect} at ${server.database.location}`);
      if (config.web.enabled) console.log(`Web page: ${url.replace(/\/$/, "")}/`);
      if (server.metricsUrl) console.log(`Metrics: ${server.metricsUrl}`);
      const cfg = opts.config ? ` --config ${opts.config}` : "";
      console.log(`Add a user: npx axon user add alice${cfg}`);
      const stop = async (signal: string) => {
        console.log(`${signal}: shutting down`);
        await server.close();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
    });
}

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n > 65535) throw new InvalidArgumentError("a port is a number from 0 to 65535");
  return n;
}
