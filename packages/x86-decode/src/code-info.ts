import { CODE_COUNT, codeNamePatterns, decodeTables } from './generated/tables.ts';

export { CODE_COUNT };

/** The names `codeName` has expanded, by code. */
const nameCache: string[] = [];

/**
 * Name of an instruction code, `Mnemonic_operands` (e.g. `Add_rm32_r32`, `Mov_r64_imm64`).
 * Codes are numbered in data-file order and never renumbered; 0 is `INVALID`.
 */
export function codeName(code: number): string {
  if (!(code >= 0 && code < CODE_COUNT) || code !== (code | 0)) return 'INVALID';
  // one name, not all 4,294 (decodeTables.CODE_NAMES builds them all)
  nameCache[code] ??= codeNamePatterns().name(code, decodeTables.CODE_MNEMONIC, decodeTables.MNEMONIC_NAMES);
  return nameCache[code];
}

let codeIndex: Map<string, number> | undefined;
/** The code with this name (see {@link codeName}), or -1. */
export function findCode(name: string): number {
  codeIndex ??= new Map(decodeTables.CODE_NAMES.map((n, i) => [n, i]));
  return codeIndex.get(name) ?? -1;
}

/** A mnemonic id's SDM spelling in upper case (`MOV`, `VADDPS`); `INVALID` for 0. */
export function mnemonicName(mnemonic: number): string {
  return decodeTables.MNEMONIC_NAMES[mnemonic] ?? 'INVALID';
}

let mnemonicIndex: Map<string, number> | undefined;
/** The mnemonic id of an SDM spelling (case-insensitive), or -1. */
export function findMnemonic(name: string): number {
  mnemonicIndex ??= new Map(decodeTables.MNEMONIC_NAMES.map((n, i) => [n, i]));
  return mnemonicIndex.get(name.toUpperCase()) ?? -1;
}

/** A CPUID feature id's name (`SSE2`, `AVX2`, `8086`). */
export function cpuFeatureName(feature: number): string {
  return decodeTables.CPU_FEATURE_NAMES[feature] ?? 'NONE';
}
