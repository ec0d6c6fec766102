import type { Command } from "commander";
/** Placeholder: `poq simulate` is registered by the simulator module. */
export function registerSimulate(_program: Command): void {}
