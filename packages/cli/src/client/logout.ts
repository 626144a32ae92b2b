import { AxonClient, ConnectionError, MatrixError } from "@axon/sdk";
import { Command } from "commander";
import { CliError, describeError } from "./output";
import { deleteSession, readSession, sessionPath } from "./session-file";

export function logoutCommand(): Command {
  return new Command("logout").description("log this device out on the server and forget the session").action(async () => {
    const path = sessionPath();
    const client = new AxonClient(readSession(path));
    try {
      await client.logout();
    } catch (err) {
      if (err instanceof MatrixError && (err.errcode === "M_UNKNOWN_TOKEN" || err.errcode === "M_MISSING_TOKEN")) {
        deleteSession(path);
        console.log(`The session had already expired or been logged out; removed ${path}`);
        return;
      }
      if (err instanceof ConnectionError) {
        throw new CliError(`${describeError(err)}; the session is kept (delete ${path} to forget it anyway)`);
      }
      throw err;
    }
    deleteSession(path);
    console.log(`Logged out ${client.userId} (device ${client.session.deviceId}); removed ${path}`);
  });
}
