import type { Command } from "commander";
/** Placeholder: `poq audit` is registered by the scoring module. */
export function registerAudit(_program: Command): void {}
