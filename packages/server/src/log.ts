import pino, { type Logger } from "pino";

/** One JSON line per record on stderr; stdout stays for what a person reads. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}
