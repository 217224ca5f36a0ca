// Read access to the generated encoding table (src/generated/encode-tables.ts).
import { ENCODE_CODE_COUNT, ENCODE_FIELDS, ENCODE_MNEMONICS, ENCODE_OPS } from './generated/encode-tables.ts';

export const F_MAP = 0;
export const F_OPCODE = 1;
export const F_PFX = 2;
export const F_REG = 3;
export const F_MOD = 4;
export const F_RM = 5;
export const F_OSZ = 6;
export const F_ASZ = 7;
export const F_MODE = 8;
export const F_W = 9;
export const F_L = 10;
export const F_REXB = 11;
export const F_HAS_MODRM = 12;
export const F_MEM_SIZE = 13;
export const F_ATTRS = 14;
export const F_OP_COUNT = 15;
export const FIELD_COUNT = 16;

export const ATTR_LOCK = 1 << 0;
export const ATTR_REP = 1 << 1;
export const ATTR_REPNE = 1 << 2;
export const ATTR_D64 = 1 << 3;
export const ATTR_F64 = 1 << 4;
export const ATTR_FAR = 1 << 5;

/** One field of a code's encoding record. */
export const field = (code: number, f: number): number => ENCODE_FIELDS[code * FIELD_COUNT + f]!;

/** Operand descriptor `k` of a code. */
export const opDesc = (code: number, k: number): number => ENCODE_OPS[code * 5 + k]!;

/** Upper-case mnemonic of a code. */
export const codeMnemonic = (code: number): string => ENCODE_MNEMONICS[code] ?? 'INVALID';

let byMnemonic: Map<string, number[]> | undefined;

/** Codes of every form of an upper-case mnemonic, in table order (empty when unknown). */
export function codesOf(mnemonic: string): readonly number[] {
  if (!byMnemonic) {
    byMnemonic = new Map();
    for (let c = 1; c < ENCODE_CODE_COUNT; c++) {
      const m = ENCODE_MNEMONICS[c]!;
      let list = byMnemonic.get(m);
      if (!list) {
        list = [];
        byMnemonic.set(m, list);
      }
      list.push(c);
    }
  }
  return byMnemonic.get(mnemonic) ?? [];
}

/** Every mnemonic the table knows (upper case, sorted). */
export function knownMnemonics(): string[] {
  codesOf('');
  return [...byMnemonic!.keys()].sort();
}

export { ENCODE_CODE_COUNT };
