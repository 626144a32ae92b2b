export * from "./errors";
export * from "./ids";
export * from "./presence";
export * from "./calls";
