import type { Migration } from "kysely";
import * as m0001 from "./0001-accounts";

/** Every migration, in order; a new one is a numbered module added here. */
export const migrations: Record<string, Migration> = {
  "0001-accounts": m0001,
};
