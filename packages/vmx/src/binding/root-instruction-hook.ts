// VMX instructions executed by guest code in VMX root operation: the CPU decodes them and
// calls the hook this file builds (structurally `VmxInstructionHook` of @typevisor/cpu);
// the hook reads the operands, runs the instruction on the model and writes the results
// back (SDM 3C 31.3).
import {
  EXIT_REASON_INVEPT,
  EXIT_REASON_INVVPID,
  EXIT_REASON_VMCLEAR,
  EXIT_REASON_VMPTRLD,
  EXIT_REASON_VMPTRST,
  EXIT_REASON_VMREAD,
  EXIT_REASON_VMWRITE,
} from '../exit/exit-reason.ts';
import type { VmxInstructionContext } from '../instructions/context.ts';
import { applyOutcomeToRflags, FAULT_UD, type VmxOutcome } from '../instructions/outcome.ts';
import type { Vmx } from '../instructions/vmx.ts';
import type { VmxInstructionOperands } from './non-root-exits.ts';

/** What the hook needs from the CPU, beyond the operands it decoded. */
export interface RootCpuPort {
  /** The processor state VMX instructions consult (refreshed by the CPU before each call). */
  readonly context: VmxInstructionContext;
  /** Reads GPR `n` (0 = RAX .. 15) into `out[0]` (lo) / `out[1]` (hi). */
  readGpr(n: number, out: Uint32Array): void;
  /** Writes GPR `n`; outside 64-bit mode the CPU writes the low 32 bits as a 32-bit destination would. */
  writeGpr(n: number, lo: number, hi: number): void;
  /** Reads `size` (4 or 8) bytes at a linear address into `out`; `false` after raising the access's fault. */
  readLinear(lo: number, hi: number, size: 4 | 8, out: Uint32Array): boolean;
  /** Writes `size` bytes at a linear address; `false` after raising the access's fault. */
  writeLinear(lo: number, hi: number, size: 4 | 8, valueLo: number, valueHi: number): boolean;
  getRflags(): number;
  setRflags(value: number): void;
  /** Raises a fault on the instruction (delivered by the CPU). */
  raiseFault(vector: number, errorCode: number): void;
}

/** The decoded operands the hook reads: the CPU's `VmxOperands`. */
export interface RootInstructionOperands extends VmxInstructionOperands {
  readonly rmRegister: number;
  readonly regRegister: number;
  readonly operandSize: number;
}

/** Hook results, numbered as `VmxHookResult` of @typevisor/cpu. */
export const HOOK_CONTINUE = 0;
export const HOOK_FAULT = 1;
export const HOOK_ENTERED = 2;

/** VMX instructions, numbered as `VmxOperation` of @typevisor/cpu. */
const OP_VMCALL = 0;
const OP_VMCLEAR = 1;
const OP_VMLAUNCH = 2;
const OP_VMPTRLD = 3;
const OP_VMPTRST = 4;
const OP_VMREAD = 5;
const OP_VMRESUME = 6;
const OP_VMWRITE = 7;
const OP_VMXOFF = 8;
const OP_VMXON = 9;
const OP_INVEPT = 10;
const OP_INVVPID = 11;

const EXIT_FOR_MEMORY_OP = [0, EXIT_REASON_VMCLEAR, 0, EXIT_REASON_VMPTRLD];

/**
 * Builds the CPU's VMX-instruction hook over a {@link Vmx}: operands are read from and
 * written to the CPU through `cpu`, outcomes become RFLAGS (VMsucceed/VMfail) or faults.
 * VMLAUNCH/VMRESUME that enter the guest return {@link HOOK_ENTERED}: the model has loaded
 * the guest state into its processor port and the glue copies it onto the CPU.
 */
export function createRootInstructionHook(
  vmx: Vmx,
  cpu: RootCpuPort,
): (op: number, operands: RootInstructionOperands) => number {
  const buf = new Uint32Array(4);

  function settle(out: VmxOutcome): number {
    switch (out.kind) {
      case 'succeed':
      case 'failInvalid':
      case 'failValid':
        cpu.setRflags(applyOutcomeToRflags(cpu.getRflags(), out));
        return HOOK_CONTINUE;
      case 'entered':
        return HOOK_ENTERED;
      case 'entryFailed':
        // SDM 3C 27.8: host state is loaded; execution continues at the host RIP.
        return HOOK_ENTERED;
      case 'fault':
        cpu.raiseFault(out.vector, out.errorCode);
        return HOOK_FAULT;
      default:
        return HOOK_CONTINUE;
    }
  }

  /** Reads the 64-bit memory operand; #UD for a register operand (SDM 3C 31.3). */
  function pointer(operands: RootInstructionOperands): boolean {
    if (!operands.isMemory) {
      cpu.raiseFault(FAULT_UD.vector, 0);
      return false;
    }
    return cpu.readLinear(operands.linearLo, operands.linearHi, 8, buf);
  }

  return (op, operands) => {
    const ctx = cpu.context;
    const long = ctx.ia32e && ctx.csL;
    switch (op) {
      case OP_VMXON:
        if (!pointer(operands)) return HOOK_FAULT;
        return settle(vmx.vmxon(ctx, buf[0]!, buf[1]!));
      case OP_VMXOFF:
        return settle(vmx.vmxoff(ctx));
      case OP_VMCLEAR:
      case OP_VMPTRLD: {
        const pre = vmx.checkCommon(ctx, EXIT_FOR_MEMORY_OP[op]!);
        if (pre) return settle(pre);
        if (!pointer(operands)) return HOOK_FAULT;
        return settle(op === OP_VMCLEAR ? vmx.vmclear(ctx, buf[0]!, buf[1]!) : vmx.vmptrld(ctx, buf[0]!, buf[1]!));
      }
      case OP_VMPTRST: {
        const pre = vmx.checkCommon(ctx, EXIT_REASON_VMPTRST);
        if (pre) return settle(pre);
        if (!operands.isMemory) return settle(FAULT_UD);
        const out = vmx.vmptrst(ctx);
        if (
          out.kind === 'succeed' &&
          !cpu.writeLinear(operands.linearLo, operands.linearHi, 8, vmx.pointerLo, vmx.pointerHi)
        ) {
          return HOOK_FAULT;
        }
        return settle(out);
      }
      case OP_VMREAD: {
        const pre = vmx.checkCommon(ctx, EXIT_REASON_VMREAD);
        if (pre) return settle(pre);
        cpu.readGpr(operands.regRegister, buf);
        const out = vmx.vmread(ctx, buf[0]!, long ? buf[1]! : 0);
        if (out.kind === 'succeed') {
          const hi = long ? vmx.readHi : 0;
          if (operands.isMemory) {
            if (!cpu.writeLinear(operands.linearLo, operands.linearHi, long ? 8 : 4, vmx.readLo, hi)) return HOOK_FAULT;
          } else {
            cpu.writeGpr(operands.rmRegister, vmx.readLo, hi);
          }
        }
        return settle(out);
      }
      case OP_VMWRITE: {
        const pre = vmx.checkCommon(ctx, EXIT_REASON_VMWRITE);
        if (pre) return settle(pre);
        if (operands.isMemory) {
          if (!cpu.readLinear(operands.linearLo, operands.linearHi, long ? 8 : 4, buf)) return HOOK_FAULT;
        } else {
          cpu.readGpr(operands.rmRegister, buf);
        }
        const valueLo = buf[0]!;
        const valueHi = long ? buf[1]! : 0;
        cpu.readGpr(operands.regRegister, buf);
        return settle(vmx.vmwrite(ctx, buf[0]!, long ? buf[1]! : 0, valueLo, valueHi));
      }
      case OP_VMLAUNCH:
        return settle(vmx.vmlaunch(ctx));
      case OP_VMRESUME:
        return settle(vmx.vmresume(ctx));
      case OP_VMCALL:
        return settle(vmx.vmcall(ctx));
      case OP_INVEPT:
      case OP_INVVPID: {
        const pre = vmx.checkCommon(ctx, op === OP_INVEPT ? EXIT_REASON_INVEPT : EXIT_REASON_INVVPID);
        if (pre) return settle(pre);
        if (!operands.isMemory) return settle(FAULT_UD);
        cpu.readGpr(operands.regRegister, buf);
        const type = long ? buf[0]! + buf[1]! * 4294967296 : buf[0]!;
        if (!cpu.readLinear(operands.linearLo, operands.linearHi, 8, buf)) return HOOK_FAULT;
        const d0 = buf[0]!;
        const d1 = buf[1]!;
        const hiLo = operands.linearLo + 8;
        if (!cpu.readLinear(hiLo >>> 0, (operands.linearHi + (hiLo > 0xffffffff ? 1 : 0)) >>> 0, 8, buf))
          return HOOK_FAULT;
        const t = Math.min(type, 0xffffffff);
        return settle(
          op === OP_INVEPT
            ? vmx.invept(ctx, t, d0, d1, buf[0]!, buf[1]!)
            : vmx.invvpid(ctx, t, d0, d1, buf[0]!, buf[1]!),
        );
      }
      default:
        // VMFUNC in VMX root operation, SDM 3C 31.3 VMFUNC.
        return settle(FAULT_UD);
    }
  };
}
