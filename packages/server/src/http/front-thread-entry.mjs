// Worker threads do not inherit the main thread's TypeScript loader: register it, then run the
// front thread's TypeScript (http/front-thread.ts).
import { register } from "tsx/esm/api";

register();
await import("./front-thread.ts");
