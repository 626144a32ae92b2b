export { buildProgram, main } from "./axon";
