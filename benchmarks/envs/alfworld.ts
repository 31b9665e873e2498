/**
 * ALFWorld speed (load time, median turn latency, expert episodes per second);
 * the benchmark lives beside the environment so it can use the package's dependencies.
 */
export { run } from "../../packages/envs/src/alfworld/Bench"
