/**
 * Compiler warnings that `hardhat compile` does not print (hardhat.config.ts filters what it logs; the build info
 * keeps the compiler's whole output, and errors still fail the compile).
 *
 * Only one: solc's transient-storage warning (code 2394) on OpenZeppelin's own `TransientSlot.sol`, which every
 * compile of a contract using ReentrancyGuardTransient prints. The same warning on one of this project's contracts
 * is still shown.
 */
export type SolcMessage = {
  severity: string;
  errorCode?: string;
  message?: string;
  formattedMessage?: string;
  sourceLocation?: { file?: string };
};

export const TRANSIENT_STORAGE_WARNING = "2394";

export function isSilencedWarning(e: SolcMessage): boolean {
  return (
    e.severity === "warning" &&
    e.errorCode === TRANSIENT_STORAGE_WARNING &&
    (e.sourceLocation?.file ?? "").startsWith("@openzeppelin/contracts/") &&
    (e.message ?? "").startsWith("Transient storage")
  );
}

/** The compiler output with the silenced warnings left out of `errors` (everything else unchanged). */
export function withoutSilencedWarnings<T extends { errors?: SolcMessage[] }>(output: T): T {
  if (output?.errors === undefined) return output;
  return { ...output, errors: output.errors.filter((e) => !isSilencedWarning(e)) };
}
