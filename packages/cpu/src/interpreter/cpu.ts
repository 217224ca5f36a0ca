import {
  ACCESS_AC,
  ACCESS_FETCH,
  ACCESS_NO_AD_UPDATE,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PG,
  CR4_SMAP,
  type GuestPhysicalAddress,
  PagingState,
  type PhysicalMemory,
  pageWalk,
  RIGHT_USER,
  WalkResult,
  WalkStatus,
} from '@typevisor/mmu';
import {
  Decoder,
  DecodeStatus,
  Instruction,
  OperandKind,
  PREFIX_LOCK,
  PREFIX_REP,
  PREFIX_REPNE,
  Register,
} from '@typevisor/x86-decode';
import {
  aluAdd,
  aluDiv,
  aluIncDec,
  aluLogic,
  aluMul,
  aluNeg,
  aluShift,
  aluShiftDouble,
  aluSub,
  bitScan,
  popcount32,
  type ShiftOp,
  sizeMask,
} from '../alu/alu.ts';
import { CpuError } from '../errors.ts';
import {
  BLOCK_USES_STACK,
  type BlockTlb,
  type CompiledBlock,
  canCompile,
  classify,
  compileBlock,
  InsnClass,
  MAX_BLOCK_INSNS,
} from './compiler/block-compiler.ts';
import {
  AR_DB,
  AR_L,
  AR_P,
  AR_S,
  CpuState,
  LazyOp,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_LDTR,
  SEG_SS,
  SEG_TR,
} from '../state/cpu-state.ts';
import {
  FLAG_AC,
  FLAG_AF,
  FLAG_CF,
  FLAG_DF,
  FLAG_ID,
  FLAG_IF,
  FLAG_IOPL,
  FLAG_NT,
  FLAG_OF,
  FLAG_PF,
  FLAG_RF,
  FLAG_SF,
  FLAG_TF,
  FLAG_VIF,
  FLAG_VIP,
  FLAG_VM,
  FLAG_ZF,
} from '../state/flags.ts';
import {
  ConditionalExit,
  CrAccess,
  GatedInstruction,
  TprShadowWrite,
  UnconditionalExit,
  VmfuncResult,
  type VmxInstructionHook,
  VmxHookResult,
  type VmxInterception,
  VmxOperation,
  type VmxOperands,
} from '../vmx/interception.ts';
import { type InterruptController, type PortIo, StopReason } from './contracts.ts';
import {
  CPU_FEATURE_ADX,
  CPU_FEATURE_BMI1,
  CPU_FEATURE_BMI2,
  CPU_FEATURE_INVPCID,
  CPU_FEATURE_LZCNT,
  CPU_FEATURE_MOVBE,
  CPU_FEATURE_POPCNT,
  CPU_FEATURE_RDPID,
  CPU_FEATURE_SMAP,
  CPU_FEATURE_SSE42,
  CPU_FEATURE_WBNOINVD,
  CpuidModel,
} from './cpuid-model.ts';
import {
  CR4_DE,
  codeBreakpointHits,
  DR6_B_MASK,
  DR6_BS,
  DR7_ENABLES,
  dataBreakpointHits,
  enabledBreakpoints,
  enabledDataBreakpoints,
  ioBreakpointHits,
} from './debug.ts';
import { H, MNEMONIC_COND, MNEMONIC_HANDLER } from './handlers.ts';
import { aaa, aad, aam, aas, daa, das, salc } from './ops/bcd.ts';
import { BmiOp, bmiCompute } from './ops/bmi.ts';
import { crc32c } from './ops/crc32.ts';
import { NAMED_REGISTERS, REG_INDEX, REG_KIND, RegKind } from './register-table.ts';
import {
  isCanonical,
  SEG_OK_READ,
  SEG_OK_WRITE,
  SegMode,
  segmentAccessVector,
  segmentFastBits,
} from './segment-checks.ts';
import { switchTask, type TaskSwitchHost, TaskSwitchSource } from './task-switch.ts';
import {
  CR4_VME,
  cliStiAccess,
  FlagAccess,
  V86Int,
  v86FlagsAccess,
  v86SoftwareInt,
  virtualFlagsImage,
  virtualPop,
  virtualPopFaults,
} from './vme.ts';

/** Exception vectors (SDM 3A Table 6-1). */
export const VECTOR_DE = 0;
export const VECTOR_DB = 1;
export const VECTOR_NMI = 2;
export const VECTOR_BP = 3;
export const VECTOR_OF = 4;
export const VECTOR_BR = 5;
export const VECTOR_UD = 6;
export const VECTOR_NM = 7;
export const VECTOR_DF = 8;
export const VECTOR_TS = 10;
export const VECTOR_NP = 11;
export const VECTOR_SS = 12;
export const VECTOR_GP = 13;
export const VECTOR_PF = 14;
export const VECTOR_AC = 17;

// Interruption types of an event (SDM 3C 25.8.3 / 25.9.2), as the IDT-vectoring information and
// the exception bitmap distinguish them.
const EVENT_TYPE_EXTERNAL = 0;
const EVENT_TYPE_NMI = 2;
const EVENT_TYPE_HARDWARE_EXCEPTION = 3;
const EVENT_TYPE_SOFTWARE_INTERRUPT = 4;
const EVENT_TYPE_PRIVILEGED_SOFTWARE = 5;
const EVENT_TYPE_SOFTWARE_EXCEPTION = 6;
/** Fault-class exception vectors (bit n): #DE #BR #UD #NM #TS #NP #SS #GP #PF #MF #AC #XM #VE #CP (SDM 3A 6.15). */
const FAULT_CLASS_VECTORS = 0x3b7ce1;
/** DR6.BD: the #DB was a debug-register access with DR7.GD set (SDM 3B 17.2.3). */
const DR6_BD = 1 << 13;
/** {@link Cpu.eventBlocking}: blocking by STI / by MOV SS (VMX interruptibility-state bits 0 and 1). */
const BLOCKING_STI = 1;
const BLOCKING_MOV_SS = 2;
/** DR6.BT: the #DB was the debug trap of a task switch into a TSS with T set (SDM 3B 17.2.3). */
const DR6_BT = 1 << 15;
/** DR7.GD: general detect (SDM 3B 17.2.4). */
const DR7_GD = 1 << 13;
/** The cpu's own, reused {@link VmxOperands} object. */
type MutableVmxOperands = { -readonly [K in keyof VmxOperands]: VmxOperands[K] };

/** MSR indexes (SDM 4 Table 2-2). */
export const MSR_IA32_TSC = 0x10;
export const MSR_IA32_APIC_BASE = 0x1b;
export const MSR_IA32_SYSENTER_CS = 0x174;
export const MSR_IA32_SYSENTER_ESP = 0x175;
export const MSR_IA32_SYSENTER_EIP = 0x176;
export const MSR_IA32_PAT = 0x277;
export const MSR_IA32_EFER = 0xc0000080;
export const MSR_IA32_STAR = 0xc0000081;
export const MSR_IA32_LSTAR = 0xc0000082;
export const MSR_IA32_CSTAR = 0xc0000083;
export const MSR_IA32_FMASK = 0xc0000084;
export const MSR_IA32_FS_BASE = 0xc0000100;
export const MSR_IA32_GS_BASE = 0xc0000101;
export const MSR_IA32_KERNEL_GS_BASE = 0xc0000102;
export const MSR_IA32_TSC_AUX = 0xc0000103;

/** EFER bits (SDM 3A 2.2.1). */
export const EFER_SCE = 1 << 0;
export const EFER_LME_BIT = 1 << 8;
export const EFER_LMA_BIT = 1 << 10;
export const EFER_NXE_BIT = 1 << 11;
/** CR0 bits (SDM 3A 2.5). */
export const CR0_PE_BIT = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
const CR4_PCE = 1 << 8;
/** CR4.LA57: 57-bit linear addresses (SDM 3A 2.5). */
const CR4_LA57 = 1 << 12;
const CR4_OSXSAVE = 1 << 18;
const CR4_PCIDE = 1 << 17;
/** XCR0 bits this cpu accepts: x87 and SSE state (no AVX or later components are modelled). */
const XCR0_SUPPORTED = 3;
/** OF, SF, ZF, AF, PF, CF: the flags RDRAND/RDSEED define. */
const FLAGS_STATUS = 0x8d5;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP_BIT = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_PG_BIT = 0x80000000;
/** CR4 bits. */
export const CR4_PAE_BIT = 1 << 5;
export const CR4_PGE_BIT = 1 << 7;
export const CR4_OSFXSR = 1 << 9;

/** Mode names for {@link Cpu.setMode}. */
export type CpuMode = 'real' | 'protected16' | 'protected32' | 'compat32' | 'long64';

/** What to do with an architectural exception. */
export type ExceptionPolicy = 'deliver' | 'stop';

/** A hook on a code address: return true to stop `run()` with `StopReason.CodeHook` before the instruction executes. */
export type CodeHook = (cpu: Cpu) => boolean | undefined;

/** Hooks (Unicorn-style). All optional; absent hooks cost nothing on the hot path. */
export interface CpuHooks {
  /**
   * SYSCALL (64-bit) / INT 0x80 style service: called instead of the architectural SYSCALL
   * when set. The hook reads and writes registers; RIP already points after the instruction.
   */
  syscall?: (cpu: Cpu) => void;
  /**
   * Every interrupt or exception before delivery (vector, error code or -1, software INT
   * flag), INT n redirected to the 8086 IVT in virtual-8086 mode included; for INT n, RIP is
   * already past the instruction. Return true to mark it handled (it is then not delivered; for
   * faults the hook should change state so the instruction does not fault again; a fault answered
   * again and again with nothing retiring uses up one instruction of `maxInstructions` per round,
   * so `run()` still returns `InstructionLimit`).
   */
  interrupt?: (cpu: Cpu, vector: number, errorCode: number, software: boolean) => boolean | undefined;
  /** Port I/O observer: called after each IN (with the value read) and before each OUT. */
  port?: (cpu: Cpu, port: number, size: number, isWrite: boolean, value: number) => void;
  /** Memory observer for every data access (physical address, size, write flag, value for writes). Slows the CPU. */
  memory?: (cpu: Cpu, physical: number, size: number, isWrite: boolean, value: number) => void;
  /** Code-address hooks, keyed by linear address (< 2^53). */
  code?: Map<number, CodeHook>;
  /** Executes VMX instructions for code in VMX root operation (see API.md). */
  vmxInstruction?: VmxInstructionHook;
  /**
   * MSRs another model owns (the vmx package: the VMX capability MSRs, read-only, and
   * IA32_FEATURE_CONTROL with its lock), consulted before the cpu's own by RDMSR, WRMSR,
   * {@link Cpu.readMsrValue} and {@link Cpu.writeMsrValue}: return true when handled (a read
   * fills `out[0]`/`out[1]`), false for #GP(0), undefined when the MSR is not theirs.
   */
  msr?: MsrHook;
}

/** See {@link CpuHooks.msr}. */
export interface MsrHook {
  read(index: number, out: Uint32Array): boolean | undefined;
  write(index: number, lo: number, hi: number): boolean | undefined;
}

/** Options of {@link Cpu}. */
export interface CpuOptions {
  /** Physical memory (from `@typevisor/mmu`). */
  memory: PhysicalMemory;
  /** Port bus; without one, IN returns all ones and OUT is dropped. */
  ports?: PortIo;
  /** Interrupt controller polled at instruction boundaries. */
  interrupts?: InterruptController;
  /** `'stop'` makes every exception stop `run()` (user-mode emulation); default `'deliver'`. */
  exceptions?: ExceptionPolicy;
  /** CPUID model; default {@link CpuidModel}. */
  cpuid?: CpuidModel;
  /**
   * Compile hot basic blocks to JavaScript (`new Function`); default true where the runtime
   * allows it. Pass false under a Content-Security-Policy without `unsafe-eval`, or to run
   * the plain interpreter. Results are identical either way.
   */
  compile?: boolean;
  /** How often a block start must be reached before it is compiled (1..65535, default 1000); 1 compiles everything, as the tests do. */
  compileThreshold?: number;
}

/** What {@link Cpu.runBlock} did. */
const enum BlockRun {
  /** No block ran: interpret the instruction at RIP. */
  None = 0,
  /** A block ran to its end. */
  Complete = 1,
  /** A block left early; the instruction at RIP must be interpreted before the next block. */
  Partial = 2,
}

/** Thrown internally to abort an instruction at a fault; caught by the run loop, never escapes. */
const FAULT = { fault: true };
/** Thrown internally when a hook or VM exit ends the instruction early. */
const ABORT = { abort: true };

const TLB_SIZE = 256;

class PageCache {
  readonly insns: (Instruction | undefined)[] = new Array(4096);
  /** Compiled blocks by the page offset of their first instruction. */
  readonly blocks: (CompiledBlock | undefined)[] = new Array(4096);
  /** How often each offset started a block that was not compiled yet. */
  readonly heat = new Uint16Array(4096);
  valid = true;
}

/** Access-rights bits a flat data segment must have (SDM 3A 3.4.5.1): unusable 0, P 1, S 1, code 0, expand-down 0, writable 1. */
const FLAT_ATTR_MASK = 0x1009e;
const FLAT_ATTR = 0x92;

/**
 * Direct calls a block follows into their callee (with the return predicted): one keeps small
 * call/return loops in one block without copying whole call trees into every block.
 */
const MAX_FOLLOWED_CALLS = 1;

/**
 * A block start is compiled the time it is reached this often. Generated functions run slowly
 * until V8 has optimized them, so only code that will run long enough to repay that is
 * compiled; measured on the gcc -O2 programs (0.2-0.7 M instructions), lower thresholds cost
 * more than they gain.
 */
const COMPILE_THRESHOLD = 1000;

/**
 * An x86 interpreter on a physical memory and a port bus (Unicorn-style API).
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory();
 * memory.addRam(guestPhysical(0), 0x10000);
 * memory.writeBytes(guestPhysical(0x1000), new Uint8Array([0x48, 0x01, 0xd8, 0xf4])); // add rax,rbx; hlt
 * const cpu = new Cpu({ memory });
 * cpu.setMode('long64');
 * cpu.setReg('rip', 0x1000); cpu.setReg('rax', 2); cpu.setReg('rbx', 3);
 * cpu.run({ maxInstructions: 10 }); // StopReason.Halt
 * cpu.getReg('rax'); // 5
 * ```
 */
export class Cpu implements TaskSwitchHost {
  readonly state = new CpuState();
  readonly memory: PhysicalMemory;
  ports: PortIo | null;
  interrupts: InterruptController | null;
  /** Non-null while the CPU runs as a VMX guest (non-root operation). */
  interception: VmxInterception | null = null;
  readonly hooks: CpuHooks = {};
  readonly cpuidModel: CpuidModel;
  exceptionPolicy: ExceptionPolicy;
  /** XMM0-15 as 4 x 32-bit lanes each. */
  readonly xmm = new Uint32Array(64);
  mxcsr = 0x1f80;
  /** Instructions retired since creation. */
  retired = 0;
  /** Vector / error code of the exception that stopped `run()` with `StopReason.Exception` (-1 = none). */
  exceptionVector = -1;
  exceptionErrorCode = -1;
  /** Halted (HLT executed, waiting for an interrupt). */
  halted = false;
  /** Current privilege level. */
  cpl = 0;
  /** Code size of the current mode (16/32/64). */
  bitness: 16 | 32 | 64 = 16;
  /** Whether hot blocks are compiled to JavaScript (see {@link CpuOptions.compile}); may be changed between runs. */
  compile: boolean;
  /** See {@link CpuOptions.compileThreshold}. */
  readonly compileThreshold: number;
  /**
   * Per segment register (`SEG_*`): `SEG_OK_READ` / `SEG_OK_WRITE` when an access of that kind
   * through it can never fail the limit or type check (flat segments, every segment in 64-bit
   * mode). Recomputed on segment loads and mode changes; a zero bit means "call
   * {@link segmentCheck}". @internal (for the block compiler)
   */
  readonly segOk = new Uint8Array(8);
  /** Highest offset an instruction byte may have in CS: its limit, or Infinity in 64-bit mode. @internal */
  csFetchLimit = 0xffff;

  private readonly decoders: Record<16 | 32 | 64, Decoder>;
  private readonly scratchInsn = new Instruction();
  private readonly scratchBytes = new Uint8Array(16);
  private readonly pageCaches = new Map<number, PageCache>();
  private curCache: PageCache | null = null;
  private curPageTag = -1;
  private curPagePhys = 0;
  /**
   * The paging state the cpu's walks use (kept in sync by `stateChanged()`). The vmx package
   * sets `paging.ept` (an mmu `EptState`) for guests under EPT and clears it on VM exit.
   */
  readonly paging = new PagingState();
  private readonly walk = new WalkResult();
  private readonly tlbTag = [new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE)];
  private readonly tlbPhys = [new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE)];
  private readonly tlbView: (Uint8Array | null)[][] = [
    new Array(TLB_SIZE).fill(null),
    new Array(TLB_SIZE).fill(null),
    new Array(TLB_SIZE).fill(null),
  ];
  /** The data TLBs as the compiled blocks see them. */
  private readonly blockTlb: BlockTlb = {
    readTags: this.tlbTag[0]!,
    readViews: this.tlbView[0]!,
    writeTags: this.tlbTag[1]!,
    writeViews: this.tlbView[1]!,
    mask: TLB_SIZE - 1,
  };
  private stopRequested = false;
  private stopReason: StopReason = StopReason.InstructionLimit;
  /** Interrupt shadow (STI, MOV SS) for the next boundary. */
  private shadow = false;
  private nmiPending = false;
  private nmiBlocked = false;
  /** `retired` when an IRET executing now unblocked NMIs (-1: none), for {@link nmiUnblockedByIret}. */
  private nmiUnblockedAt = -1;
  /** True while {@link injectEvent} delivers: the injected event skips `interception.exception()`. */
  private injecting = false;
  /** Nesting of exception delivery for #DF / triple fault. */
  private deliveryDepth = 0;
  private pendingVector = -1;
  private pendingError = -1;
  private pendingSoftware = false;
  private readonly tmp64 = new Uint32Array(2);
  private readonly vmxOperands: MutableVmxOperands = {
    instructionLength: 0,
    isMemory: false,
    linearLo: 0,
    linearHi: 0,
    rmRegister: -1,
    regRegister: -1,
    operandSize: 4,
    addressSize: 4,
    segment: 0,
    baseRegister: -1,
    indexRegister: -1,
    scale: 0,
    displacementLo: 0,
    displacementHi: 0,
  };
  /** Linear address of the page fault being raised (written to CR2 only when the #PF is delivered). */
  private pfLinearLo = 0;
  private pfLinearHi = 0;
  private pfLinearValid = false;
  /** DR6 bits (B0-B3, BD, BS) of the #DB being raised; written to DR6 only when the #DB is delivered. */
  private pendingDr6 = 0;
  /** True while an instruction runs on the debug path with a data breakpoint armed (debug.ts). */
  private dataWatch = false;
  /** DR6.B0-B3 of the data breakpoints the current instruction's accesses matched. */
  private dataHits = 0;
  /** Debug traps held back by a MOV SS / POP SS shadow, delivered after the next instruction. */
  private delayedDr6 = 0;
  /** The event shadow's kind ({@link BLOCKING_STI} / {@link BLOCKING_MOV_SS}), the `retired` count of the instruction that opened it, `eventsDelivered` then. */
  private shadowKind = 0;
  private shadowAt = -2;
  private shadowEvents = 0;
  /** The state from before the event in delivery (see {@link cancelEventDelivery}). */
  private readonly deliverySnapshot = new Float64Array(40);
  /** CS, SS, RSP, RFLAGS and CPL from before a far CALL/RET/IRET that changes privilege (see {@link takeFarSnapshot}). */
  private readonly farSnapshot = new Float64Array(14);
  /**
   * The event whose delivery through the IDT is in progress, in the format of the IDT-vectoring
   * information field (SDM 3C 25.9.3: vector 7:0, type 10:8, error code valid 11, valid 31), or 0.
   * A VM exit during the delivery reports it (SDM 3C 28.2.4). @internal (vmx glue)
   */
  vectoringInfo = 0;
  /** Error code of the event in {@link vectoringInfo}. @internal */
  vectoringErrorCode = 0;
  /** Instruction length of a software interrupt/exception in {@link vectoringInfo} (else 0). @internal */
  vectoringLength = 0;
  /** Events (exceptions, interrupts, NMIs) delivered through the IVT/IDT since creation. */
  eventsDelivered = 0;
  /** Read result (lo/hi) of the operand accessors. */
  private vLo = 0;
  private vHi = 0;
  /** Effective (linear) address of the current memory operand. */
  private eaLo = 0;
  private eaHi = 0;
  private eaDone = false;
  /** Segment register (`SEG_*`) and offset (effective address before the base) of the current memory operand. */
  private eaSeg = 0;
  private eaOff = 0;
  private segMode: SegMode = SegMode.RealOrV86;
  /** Length of the far JMP/CALL being executed (the VM-exit instruction length of a task switch). */
  private farInsnLength = 0;
  /** 15 for 48-bit linear addresses, 24 with CR4.LA57 (SDM 3A 3.3.7.1). */
  private canonShift = 15;

  constructor(options: CpuOptions) {
    this.memory = options.memory;
    this.ports = options.ports ?? null;
    this.interrupts = options.interrupts ?? null;
    this.exceptionPolicy = options.exceptions ?? 'deliver';
    this.cpuidModel = options.cpuid ?? new CpuidModel();
    this.compile = options.compile !== false && canCompile();
    this.compileThreshold = Math.min(65535, Math.max(1, Math.floor(options.compileThreshold ?? COMPILE_THRESHOLD)));
    const empty = new Uint8Array(16);
    this.decoders = { 16: new Decoder(16, empty), 32: new Decoder(32, empty), 64: new Decoder(64, empty) };
    this.memory.onCodeWrite = (pageBase: number) => this.invalidateCode(pageBase);
    this.resetState();
  }

  /** Power-on/RESET state (SDM 3A Table 10-1): real mode, CS:IP = F000:FFF0 with CS base FFFF0000. */
  resetState(): void {
    const s = this.state;
    s.gpr32.fill(0);
    s.gpr32[4] = 0x600; // EDX = processor signature (family 6)
    s.setFlags(2);
    s.ripLo = 0xfff0;
    s.ripHi = 0;
    for (let i = 0; i < 6; i++) this.setSegmentRaw(i, 0, 0, 0xffff, 0x93);
    this.setSegmentRaw(SEG_CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
    this.setSegmentRaw(SEG_LDTR, 0, 0, 0xffff, 0x82);
    this.setSegmentRaw(SEG_TR, 0, 0, 0xffff, 0x8b);
    s.cr0 = 0x60000010;
    s.cr4 = 0;
    s.efer = 0;
    this.stateChanged();
  }

  // ------------------------------------------------------------------ public API

  /**
   * Puts the CPU into a mode with flat segments (base 0, limit 4 GiB), as a user-mode
   * emulator does: `long64` sets EFER.LME/LMA, CR0.PE and a 64-bit CS (paging stays off:
   * linear = physical, a documented convenience outside the architecture); `protected32`
   * sets CR0.PE with 32-bit flat segments; `real` resets to real mode at CS=0.
   */
  setMode(mode: CpuMode, cpl = 0): void {
    const s = this.state;
    const dpl = (cpl & 3) << 5;
    if (mode === 'real') {
      s.cr0 &= ~(CR0_PE_BIT | CR0_PG_BIT);
      s.efer &= ~(EFER_LMA_BIT | EFER_LME_BIT);
      for (let i = 0; i < 6; i++) this.setSegmentRaw(i, 0, 0, 0xffff, i === SEG_CS ? 0x9b : 0x93);
    } else {
      s.cr0 |= CR0_PE_BIT;
      const long = mode === 'long64' || mode === 'compat32';
      if (long) s.efer |= EFER_LMA_BIT | EFER_LME_BIT;
      else s.efer &= ~(EFER_LMA_BIT | EFER_LME_BIT);
      const code = mode === 'long64' ? AR_L | 0x9b : mode === 'protected16' ? 0x9b : AR_DB | 0x9b;
      const data = mode === 'protected16' ? 0x93 : AR_DB | 0x93;
      const g = mode === 'protected16' ? 0 : 1 << 15;
      const limit = mode === 'protected16' ? 0xffff : 0xffffffff;
      for (let i = 0; i < 6; i++) {
        const sel = i === SEG_CS ? 0x08 | cpl : 0x10 | cpl;
        this.setSegmentRaw(i, sel, 0, limit, (i === SEG_CS ? code : data) | g | dpl);
      }
    }
    this.stateChanged();
  }

  /** Recomputes the mode, CPL and paging state after direct writes to `state`, and flushes the TLB. */
  stateChanged(): void {
    const s = this.state;
    const csAttr = s.segAttr[SEG_CS]!;
    if ((s.cr0 & CR0_PE_BIT) === 0) {
      this.bitness = 16;
      this.cpl = 0;
    } else if (s.getFlags() & FLAG_VM) {
      this.bitness = 16;
      this.cpl = 3;
    } else {
      this.bitness = s.efer & EFER_LMA_BIT && csAttr & AR_L ? 64 : csAttr & AR_DB ? 32 : 16;
      this.cpl = (csAttr >> 5) & 3;
    }
    const p = this.paging;
    p.cr0 = s.cr0;
    // Bit 63 of CR3 (PCID no-flush) is not part of the address (SDM 3A 4.10.4.1).
    p.cr3 = (s.cr3Hi & 0x7fffffff) * 4294967296 + s.cr3Lo;
    p.cr4 = s.cr4;
    p.efer = s.efer;
    p.pdptesLoaded = false;
    this.flushTlb();
    this.refreshSegments();
  }

  /**
   * Recomputes {@link segOk} and {@link csFetchLimit} from the segment registers and the mode;
   * called on every segment load and mode change (SDM 3A 5.3: the checks use the cached limit
   * and type, so they only change when the hidden parts do).
   */
  private refreshSegments(): void {
    const s = this.state;
    const mode =
      this.bitness === 64
        ? SegMode.Long64
        : (s.cr0 & CR0_PE_BIT) === 0 || s.flagsValue & FLAG_VM
          ? SegMode.RealOrV86
          : SegMode.Protected;
    this.segMode = mode;
    for (let i = 0; i < 6; i++) this.segOk[i] = segmentFastBits(s, i, mode);
    this.csFetchLimit = mode === SegMode.Long64 ? Number.POSITIVE_INFINITY : s.segLimit[SEG_CS]!;
    this.canonShift = s.cr4 & CR4_LA57 ? 24 : 15;
  }

  /**
   * Checks an access of `size` bytes at `offset` (effective address, before the base) through
   * segment `seg` and raises #GP(0), or #SS(0) for SS, when it fails the type or limit check
   * (SDM 3A 5.3, 5.4). Callers skip it when {@link segOk} has the access's bit. @internal
   */
  segmentCheck(seg: number, offset: number, size: number, write: boolean): void {
    const v = segmentAccessVector(this.state, seg, offset, size, write, this.segMode);
    if (v !== 0) this.fault(v, 0);
  }

  /**
   * Sets the CPL. TLB entries hold the outcome of the permission checks made at the privilege
   * they were filled at (user pages for CPL 3; SMEP/SMAP for CPL 0-2), so a change between user
   * and supervisor drops them.
   */
  private setCpl(cpl: number): void {
    if ((cpl === 3) !== (this.cpl === 3)) this.flushTlb();
    this.cpl = cpl;
  }

  /**
   * After an implicit supervisor access made on behalf of CPL-3 code (descriptor tables, TSS,
   * I/O bitmap), forgets the translations it filled: a later CPL-3 access to that page must walk
   * (and fault on a supervisor page) again.
   */
  private dropSupervisorFill(lo: number, size: number): void {
    const last = (lo + size - 1) >>> 0;
    for (let k = 0; k < 2; k++) {
      this.tlbTag[k]![(lo >>> 12) & (TLB_SIZE - 1)] = -1;
      this.tlbTag[k]![(last >>> 12) & (TLB_SIZE - 1)] = -1;
    }
  }

  /** Drops every cached translation (MOV CR3, CR0/CR4 changes, CPL changes). */
  flushTlb(): void {
    for (let k = 0; k < 3; k++) {
      this.tlbTag[k]!.fill(-1);
      this.tlbView[k]!.fill(null);
    }
    this.curPageTag = -1;
    this.curCache = null;
  }

  /** Reads a register by name (`rax`, `eax`, `ax`, `al`, `ah`, `rip`, `rflags`, `cs`, `cr0`, `fs_base`, ...). Exact below 2^53; use {@link getReg64} for full 64-bit values. */
  getReg(name: string): number {
    this.getReg64(name, this.tmp64);
    return this.tmp64[1]! * 4294967296 + this.tmp64[0]!;
  }

  /** Reads a register by name into `out[0]` (lo) / `out[1]` (hi). */
  getReg64(name: string, out: Uint32Array): void {
    const s = this.state;
    const n = name.toLowerCase();
    out[1] = 0;
    const named = NAMED_REGISTERS.get(n);
    if (named !== undefined) {
      const i = named & 31;
      switch (named >> 5) {
        case 0:
          out[0] = s.gpr32[2 * i]!;
          out[1] = s.gpr32[2 * i + 1]!;
          return;
        case 1:
          out[0] = s.gpr32[2 * i]!;
          return;
        case 2:
          out[0] = s.gpr16[4 * i]!;
          return;
        case 3:
          out[0] = s.gpr8[8 * i]!;
          return;
        case 4:
          out[0] = s.gpr8[8 * i + 1]!;
          return;
        default:
          out[0] = s.segSelector[i]!;
          return;
      }
    }
    if (n === 'rip' || n === 'eip' || n === 'ip') {
      out[0] = n === 'ip' ? s.ripLo & 0xffff : s.ripLo;
      out[1] = n === 'rip' ? s.ripHi : 0;
    } else if (n === 'rflags' || n === 'eflags' || n === 'flags') out[0] = s.getFlags();
    else if (n === 'cr0') out[0] = s.cr0;
    else if (n === 'cr2') {
      out[0] = s.cr2Lo;
      out[1] = s.cr2Hi;
    } else if (n === 'cr3') {
      out[0] = s.cr3Lo;
      out[1] = s.cr3Hi;
    } else if (n === 'cr4') out[0] = s.cr4;
    else if (n === 'cr8') out[0] = s.cr8;
    else if (n === 'efer') out[0] = s.efer;
    else if (n === 'fs_base' || n === 'gs_base') {
      const k = n === 'fs_base' ? SEG_FS : SEG_GS;
      out[0] = s.segBaseLo[k]!;
      out[1] = s.segBaseHi[k]!;
    } else if (n === 'tsc') {
      out[0] = s.tsc >>> 0;
      out[1] = Math.floor(s.tsc / 4294967296);
    } else throw new CpuError('UNKNOWN_REGISTER', `unknown register '${name}'`);
  }

  /** Writes a register by name; `value` is a number below 2^53 or a bigint-free lo/hi via {@link setReg64}. Negative numbers are two's complement. */
  setReg(name: string, value: number): void {
    if (!Number.isFinite(value)) throw new CpuError('BAD_ARGUMENT', `register value must be a finite number`);
    const lo = value >>> 0;
    const hi = value < 0 ? Math.floor(value / 4294967296) >>> 0 : Math.floor(value / 4294967296) >>> 0;
    this.setReg64(name, lo, hi);
  }

  /** Writes a register by name from lo/hi halves. */
  setReg64(name: string, lo: number, hi: number): void {
    const s = this.state;
    const n = name.toLowerCase();
    const named = NAMED_REGISTERS.get(n);
    if (named !== undefined) {
      const i = named & 31;
      switch (named >> 5) {
        case 0:
          s.gpr32[2 * i] = lo;
          s.gpr32[2 * i + 1] = hi;
          return;
        case 1:
          s.gpr32[2 * i] = lo;
          s.gpr32[2 * i + 1] = 0;
          return;
        case 2:
          s.gpr16[4 * i] = lo;
          return;
        case 3:
          s.gpr8[8 * i] = lo;
          return;
        case 4:
          s.gpr8[8 * i + 1] = lo;
          return;
        default:
          // Real-mode semantics for a direct write: base = selector << 4 (protected mode: setSegmentRaw).
          s.segSelector[i] = lo;
          if ((s.cr0 & CR0_PE_BIT) === 0) s.segBaseLo[i] = (lo & 0xffff) << 4;
          return;
      }
    }
    if (n === 'rip' || n === 'eip' || n === 'ip') {
      s.ripLo = lo >>> 0;
      s.ripHi = n === 'rip' ? hi >>> 0 : 0;
    } else if (n === 'rflags' || n === 'eflags' || n === 'flags') {
      s.setFlags(lo);
      this.stateChanged();
    } else if (n === 'cr0') {
      s.cr0 = lo;
      this.stateChanged();
    } else if (n === 'cr2') {
      s.cr2Lo = lo;
      s.cr2Hi = hi;
    } else if (n === 'cr3') {
      s.cr3Lo = lo;
      s.cr3Hi = hi;
      this.stateChanged();
    } else if (n === 'cr4') {
      s.cr4 = lo;
      this.stateChanged();
    } else if (n === 'cr8') s.cr8 = lo & 15;
    else if (n === 'efer') {
      s.efer = lo;
      this.stateChanged();
    } else if (n === 'fs_base' || n === 'gs_base') {
      const k = n === 'fs_base' ? SEG_FS : SEG_GS;
      s.segBaseLo[k] = lo;
      s.segBaseHi[k] = hi;
    } else if (n === 'tsc') s.tsc = hi * 4294967296 + lo;
    else throw new CpuError('UNKNOWN_REGISTER', `unknown register '${name}'`);
  }

  /** XMM register `n` lane `lane` (32-bit). */
  getXmm32(n: number, lane: number): number {
    return this.xmm[n * 4 + lane]!;
  }

  /** Asks `run()` to return `StopReason.HookStop` after the current instruction. */
  stop(): void {
    this.stopRequested = true;
    this.stopReason = StopReason.HookStop;
  }

  /** Signals an NMI (delivered at the next boundary unless blocked). */
  raiseNmi(): void {
    this.nmiPending = true;
  }

  /**
   * Blocking by NMI (set by NMI delivery, cleared by IRET): the interruptibility-state bit 3
   * a VMX entry loads and an exit saves (SDM 3C 25.4.2). With the "virtual NMIs" VM-execution
   * control it is the guest's virtual-NMI blocking.
   */
  get nmiBlocking(): boolean {
    return this.nmiBlocked;
  }

  set nmiBlocking(blocked: boolean) {
    this.nmiBlocked = blocked;
  }

  /**
   * True while the instruction being executed is an IRET that removed blocking by NMI: a VM
   * exit from its fault or EPT violation reports "NMI unblocking due to IRET" (SDM 3C 28.2.3).
   */
  get nmiUnblockedByIret(): boolean {
    return this.nmiUnblockedAt === this.retired;
  }

  /**
   * Delivers an event through the IVT/IDT before the next instruction, as VM entry does with
   * the VM-entry interruption-information field (SDM 3C 27.6 "Event Injection"). `type` is
   * the field's interruption type: 0 external interrupt, 2 NMI, 3 hardware exception,
   * 4 software interrupt, 5 privileged software exception, 6 software exception. `errorCode`
   * is pushed when it is >= 0 (pass -1 for none). For types 4-6 the return address is RIP +
   * `instructionLength` (SDM 3C 27.6.1.1); the others return to RIP. The injected event itself
   * is not subject to the exception bitmap (no `interception.exception()` call); faults while
   * delivering it are, as for any event. An NMI sets NMI blocking; a halted CPU becomes active.
   * Call it from a hook or between `run()` calls, after loading the guest state. Returns true
   * when the delivery itself ended in a VM exit (a fault the exception bitmap intercepts, an EPT
   * violation, a triple fault): the interception has then loaded the host state, and a call
   * between `run()` calls must report that exit itself (the next `run()` continues the host).
   */
  injectEvent(vector: number, type: number, errorCode: number, instructionLength: number): boolean {
    const s = this.state;
    const software = type === 4 || type === 5 || type === 6;
    if (software) {
      const lo = s.ripLo + instructionLength;
      s.ripLo = lo >>> 0;
      if (lo > 0xffffffff) s.ripHi = (s.ripHi + 1) >>> 0;
      if (this.bitness !== 64) s.ripHi = 0;
    }
    if (type === 2) this.nmiBlocked = true;
    this.halted = false;
    this.injecting = true;
    // SDM 3C 27.6.1.2: a privileged software exception (INT1) skips the gate's DPL check.
    return this.deliverAtBoundary(
      vector & 0xff,
      errorCode,
      type === 4 || type === 6,
      false,
      type,
      software ? instructionLength : 0,
    );
  }

  /**
   * Delivers an event outside `run()`'s instruction loop ({@link injectEvent},
   * {@link deliverDebugTraps}); true when the delivery ended in a VM exit, otherwise the stop
   * state from before is kept.
   */
  private deliverAtBoundary(
    vector: number,
    errorCode: number,
    software: boolean,
    fault: boolean,
    type: number,
    length: number,
  ): boolean {
    const stopRequested = this.stopRequested;
    const stopReason = this.stopReason;
    this.stopRequested = false;
    try {
      this.deliverEvent(vector, errorCode, software, fault, type, length);
    } catch (e) {
      if (e !== ABORT && e !== FAULT) throw e;
    }
    const exited = this.stopRequested && this.stopReason === StopReason.VmExit;
    if (!exited) {
      this.stopRequested = stopRequested;
      this.stopReason = stopReason;
    }
    return exited;
  }

  /**
   * Debug traps the cpu has recognized but not delivered yet, in DR6's layout (B0-B3 bits 3:0, BS
   * bit 14): those a MOV SS / POP SS holds back until the instruction after it completes (SDM 3B
   * 17.3.1.4, 6.8.3). Non-zero between instructions only inside such a shadow, so a VM exit that
   * finds it non-zero hit the shadowed instruction: VMX saves it into the guest's
   * pending-debug-exceptions field (SDM 3C 28.3.4) and clears it here; a VM entry with blocking
   * by MOV SS puts the field's bits back, to be delivered after the first guest instruction (SDM
   * 3C 26.6.3). Setting keeps only B0-B3 and BS.
   *
   * @example
   * ```ts
   * import { Cpu } from '@typevisor/cpu';
   * import { guestPhysical, PhysicalMemory } from '@typevisor/mmu';
   * const memory = new PhysicalMemory();
   * memory.addRam(guestPhysical(0), 0x10000);
   * const cpu = new Cpu({ memory });
   * cpu.pendingDebugTraps = 0x4000; // BS: a single-step trap held back by MOV SS
   * ```
   */
  get pendingDebugTraps(): number {
    return this.delayedDr6;
  }

  set pendingDebugTraps(bits: number) {
    this.delayedDr6 = bits & (DR6_B_MASK | DR6_BS);
  }

  /**
   * Blocking by STI (1) or by MOV SS / POP SS (2), in the layout of the VMX interruptibility
   * state's bits 0-1 (SDM 3C 25.4.2), or 0: after STI (with IF clear before it) or a load of SS,
   * events wait until the next instruction completed or an event was delivered. Exact at
   * instruction boundaries and during the instruction in the shadow (a VM exit on it saves the
   * blocking, SDM 3C 28.3.4). VM entry sets it from the guest's interruptibility state (SDM 3C
   * 26.6.1; 0 when the entry injects an event).
   */
  get eventBlocking(): number {
    return this.retired === this.shadowAt + 1 && this.eventsDelivered === this.shadowEvents ? this.shadowKind : 0;
  }

  set eventBlocking(bits: number) {
    const kind = bits & BLOCKING_MOV_SS ? BLOCKING_MOV_SS : bits & BLOCKING_STI;
    if (kind === 0) {
      this.shadow = false;
      this.shadowAt = -2;
      return;
    }
    this.beginShadow(kind);
    this.shadowAt = this.retired - 1;
  }

  /** Opens the one-instruction event shadow of STI or MOV SS, remembering when (for {@link eventBlocking}). */
  private beginShadow(kind: number): void {
    this.shadow = true;
    this.shadowKind = kind;
    this.shadowAt = this.retired;
    this.shadowEvents = this.eventsDelivered;
  }

  /**
   * Delivers a #DB trap with the DR6 bits `bits` (B0-B3, BS) now, at an instruction boundary: a
   * pending debug exception VM entry delivers before the first guest instruction (SDM 3C 26.6.3,
   * "traps on the previous instruction"). Unlike {@link injectEvent} it is subject to the
   * exception bitmap (a #DB exit with the bits as its qualification) and, when delivered, sets the
   * bits in DR6. A halted CPU becomes active. Returns true when it ended in a VM exit.
   */
  deliverDebugTraps(bits: number): boolean {
    this.halted = false;
    this.pendingDr6 = bits & (DR6_B_MASK | DR6_BS);
    return this.deliverAtBoundary(VECTOR_DB, -1, false, true, EVENT_TYPE_HARDWARE_EXCEPTION, 0);
  }

  /**
   * For the VMX exit path: when a VM exit interrupts the delivery of an event through the IDT
   * (an EPT violation on the stack push, a fault the exception bitmap intercepts), puts back the
   * registers from before the delivery began, so the exit saves the guest state the event
   * found (SDM 3C 28.2.4: RIP of the INT instruction for software interrupts). @internal
   */
  cancelEventDelivery(): void {
    if (this.vectoringInfo === 0) return;
    this.restoreDeliverySnapshot();
  }

  /**
   * Raises an architectural fault from a hook (e.g. a VMX instruction hook): the current
   * instruction is abandoned and the exception delivered.
   */
  raiseFault(vector: number, errorCode = -1): never {
    this.pendingVector = vector;
    this.pendingError = errorCode;
    this.pendingSoftware = false;
    throw FAULT;
  }

  /** Copies bytes from linear memory (through paging) into `dest`; false if a page is not mapped. */
  readLinear(lo: number, hi: number, dest: Uint8Array): boolean {
    try {
      for (let i = 0; i < dest.length; i++) {
        const a = lo + i;
        dest[i] = this.readU8(a >>> 0, (hi + (a > 0xffffffff ? 1 : 0)) >>> 0);
      }
      return true;
    } catch (e) {
      if (e === FAULT) return false;
      throw e;
    }
  }

  /** Copies `src` into linear memory; false if a page is not mapped or writable. */
  writeLinear(lo: number, hi: number, src: Uint8Array): boolean {
    try {
      for (let i = 0; i < src.length; i++) {
        const a = lo + i;
        this.writeU8(a >>> 0, (hi + (a > 0xffffffff ? 1 : 0)) >>> 0, src[i]!);
      }
      return true;
    } catch (e) {
      if (e === FAULT) return false;
      throw e;
    }
  }

  /** Executes exactly one instruction (or delivers one pending event). */
  step(): StopReason {
    return this.run({ maxInstructions: 1 });
  }

  /**
   * Runs until `maxInstructions` retire or something stops the CPU, and says why.
   * Exceptions are delivered through the IVT/IDT (or stop the run with `exceptions: 'stop'`).
   */
  run(options: { maxInstructions: number }): StopReason {
    const limit = this.retired + options.maxInstructions;
    this.stopRequested = false;
    this.stopReason = StopReason.InstructionLimit;
    const start = this.retired;
    // Faults taken with nothing retired since the previous one: a hook that answers "handled"
    // for a fault without removing its cause would re-run the faulting instruction forever, so
    // each such round uses up one instruction of the budget (one is free: step() over a faulting
    // instruction still runs the handler's first instruction).
    let stalls = 0;
    let stallAt = -1;
    while (this.retired < limit && !this.stopRequested) {
      if (this.halted) {
        if (!this.wakeFromHalt()) {
          if (this.haltedBoundaryExit()) return StopReason.VmExit;
          this.state.tsc += 0;
          return StopReason.Halt;
        }
      }
      try {
        this.runInner(limit);
      } catch (e) {
        if (e === FAULT) {
          this.handlePendingFault();
          if (this.retired !== stallAt) {
            stallAt = this.retired;
            stalls = 0;
          } else if (++stalls > options.maxInstructions) break;
        } else if (e !== ABORT) throw e;
      }
    }
    this.state.tsc += 0;
    void start;
    if (this.stopRequested && (this.stopReason as StopReason) === StopReason.Halt && this.haltedBoundaryExit()) {
      return StopReason.VmExit;
    }
    return this.stopRequested ? this.stopReason : StopReason.InstructionLimit;
  }

  /**
   * VMX non-root operation: the boundary exits also happen in the HLT activity state (SDM 3C
   * 26.5.2 an MTF exit right after HLT, 26.5.1 the preemption timer counts down while halted);
   * the exit then saves activity state HLT.
   */
  private haltedBoundaryExit(): boolean {
    const ic = this.interception;
    if (ic === null || !ic.windowsArmed) return false;
    const interruptible = (this.state.flagsValue & FLAG_IF) !== 0 && this.state.lazyOp >= 0;
    if (ic.window(interruptible, !this.nmiBlocked) || ic.timer(1)) return this.vmExited();
    return false;
  }

  // ------------------------------------------------------------------ run loop

  private runInner(limit: number): void {
    const s = this.state;
    const codeHooks = this.hooks.code;
    // Blocks are looked up (and their starts counted towards compiling) only where control
    // arrived by a branch or a block exit, so straight-line interpreted code pays nothing.
    let blockStart = true;
    while (this.retired < limit) {
      if (this.interrupts !== null || this.nmiPending || this.interception !== null) {
        if (this.checkEvents()) return;
      }
      if (blockStart && this.blocksAllowed()) {
        const ran = this.runBlock(limit);
        if (ran !== BlockRun.None) {
          if (this.stopRequested) return;
          // A block that left early (a bail-out or a write into its page) hands the next instruction to the interpreter.
          blockStart = ran === BlockRun.Complete;
          continue;
        }
      }
      // Debugging (DR7 enables, TF, RF) takes the slow path; otherwise this is the only cost. So
      // does a trap held back by MOV SS (delayedDr6, non-zero only inside such a shadow): one a
      // VM entry restored (SDM 3C 26.6.3) must be delivered after this instruction even when
      // neither TF nor a DR7 enable is set.
      const debugging = ((s.dr[14]! & DR7_ENABLES) | (s.flagsValue & (FLAG_TF | FLAG_RF)) | this.delayedDr6) !== 0;
      const stepping = debugging ? this.debugBefore() : false;
      const insn = this.fetch();
      // SDM 3A 5.3: every byte of the instruction must lie within the CS limit (#GP(0)).
      if (s.ripLo + insn.length - 1 > this.csFetchLimit) this.fault(VECTOR_GP, 0);
      if (codeHooks !== undefined && codeHooks.size > 0) {
        const f = codeHooks.get(this.linearIp());
        if (f !== undefined && f(this) === true) {
          this.stopRequested = true;
          this.stopReason = StopReason.CodeHook;
          return;
        }
      }
      this.shadow = false;
      this.eaDone = false;
      const ip = s.ripLo;
      const delivered = this.eventsDelivered;
      this.execute(insn);
      this.retired++;
      s.tsc++;
      blockStart = s.ripLo - ip !== insn.length;
      if (debugging) {
        this.debugAfter(stepping, delivered !== this.eventsDelivered);
        blockStart = true;
      }
      if (this.stopRequested) return;
    }
  }

  /**
   * Debug checks at the start of an instruction (SDM 3B 17.3.1.1): an enabled instruction
   * breakpoint on RIP raises a #DB fault unless RF is set; RF is then cleared (after the
   * breakpoint check, as the SDM orders it). Arms the data-breakpoint watch. Returns TF, which
   * decides the single-step trap after the instruction.
   */
  private debugBefore(): boolean {
    const s = this.state;
    const dr = s.dr;
    const enabled = enabledBreakpoints(dr[14]!);
    const flags = s.flagsValue;
    if (enabled !== 0 && (flags & FLAG_RF) === 0) {
      const hits =
        this.bitness === 64
          ? codeBreakpointHits(dr, s.ripLo, s.ripHi)
          : codeBreakpointHits(dr, (s.segBaseLo[SEG_CS]! + s.ripLo) >>> 0, 0);
      if ((hits & enabled) !== 0) {
        this.pendingDr6 = hits;
        this.fault(VECTOR_DB);
      }
    }
    if (flags & FLAG_RF) s.flagsValue = flags & ~FLAG_RF;
    this.dataHits = 0;
    this.dataWatch = enabled !== 0 && enabledDataBreakpoints(dr[14]!) !== 0;
    return (flags & FLAG_TF) !== 0;
  }

  /**
   * Debug traps after an instruction completed (SDM 3B 17.3.1.2-17.3.1.4): the single-step trap
   * (BS) if TF was set when it began, data breakpoints its accesses hit (B0-B3; disabled
   * breakpoints that matched are reported too when a #DB is raised). No single-step trap after an
   * instruction that delivered an event (INT n, INTO, INT3: the handler runs with TF clear); a MOV
   * SS / POP SS holds every trap back until after the next instruction.
   */
  private debugAfter(stepping: boolean, delivered: boolean): void {
    const s = this.state;
    this.dataWatch = false;
    let bits = this.delayedDr6 | (stepping && !delivered ? DR6_BS : 0);
    if ((this.dataHits & enabledBreakpoints(s.dr[14]!)) !== 0) bits |= this.dataHits;
    this.dataHits = 0;
    // The instruction just retired loaded SS (MOV SS / POP SS opened its shadow): traps wait one instruction.
    if (this.shadowKind === BLOCKING_MOV_SS && this.shadowAt === this.retired - 1) {
      this.delayedDr6 = bits;
      return;
    }
    this.delayedDr6 = 0;
    if (bits === 0 || this.stopRequested) return;
    this.pendingDr6 = bits;
    this.deliverEvent(VECTOR_DB, -1, false, true);
  }

  /** Records data breakpoints a `size`-byte access at linear lo/hi matches (while {@link dataWatch}). */
  private watchData(lo: number, hi: number, size: number, write: boolean): void {
    this.dataHits |= dataBreakpointHits(this.state.dr, lo, hi, size, write);
  }

  private linearIp(): number {
    const s = this.state;
    if (this.bitness === 64) return s.ripHi * 4294967296 + s.ripLo;
    return (s.segBaseLo[SEG_CS]! + s.ripLo) >>> 0;
  }

  private checkEvents(): boolean {
    const s = this.state;
    const ic = this.interception;
    if (ic?.windowsArmed) {
      const interruptible = (s.flagsValue & FLAG_IF) !== 0 && s.lazyOp >= 0 && !this.shadow;
      if (ic.window(interruptible, !this.nmiBlocked) || ic.timer(1)) return this.vmExited();
    }
    if (this.nmiPending && !this.nmiBlocked && !this.shadow) {
      if (ic?.nmi()) {
        this.nmiPending = false;
        return this.vmExited();
      }
      this.nmiPending = false;
      this.nmiBlocked = true;
      this.halted = false;
      this.deliverEvent(VECTOR_NMI, -1, false, false, EVENT_TYPE_NMI);
      return false;
    }
    const ctl = this.interrupts;
    if (ctl !== null && (s.getFlags() & FLAG_IF) !== 0 && !this.shadow && ctl.hasInterrupt()) {
      if (ic?.externalInterrupt(ctl)) return this.vmExited();
      const vector = ctl.acknowledge();
      this.halted = false;
      this.deliverEvent(vector, -1, false, false, EVENT_TYPE_EXTERNAL);
    }
    return false;
  }

  private wakeFromHalt(): boolean {
    if (this.nmiPending) return true;
    const ctl = this.interrupts;
    if (ctl !== null && (this.state.getFlags() & FLAG_IF) !== 0 && ctl.hasInterrupt()) return true;
    return false;
  }

  private vmExited(): boolean {
    this.stopRequested = true;
    this.stopReason = StopReason.VmExit;
    return true;
  }

  private handlePendingFault(): void {
    const vector = this.pendingVector;
    const err = this.pendingError;
    this.pendingVector = -1;
    this.dataWatch = false;
    if (vector < 0) return;
    try {
      this.deliverEvent(vector, err, this.pendingSoftware, true);
    } catch (e) {
      // A VM exit during the delivery (an EPT violation on the stack) ends the run as VmExit.
      if (e !== ABORT) throw e;
    }
  }

  // ------------------------------------------------------------------ fetch and decode cache

  private fetch(): Instruction {
    const s = this.state;
    let lo: number;
    let hi: number;
    if (this.bitness === 64) {
      lo = s.ripLo;
      hi = s.ripHi;
    } else {
      const a = s.segBaseLo[SEG_CS]! + s.ripLo;
      lo = a >>> 0;
      hi = 0;
    }
    const off = lo & 0xfff;
    const cache = this.codePage(lo, hi);
    if (cache === null) return this.decodeSlow(lo, hi);
    let insn = cache.insns[off];
    if (insn !== undefined && insn.bitness === this.bitness && insn.ipLo === lo && insn.ipHi === hi) return insn;
    if (off > 4096 - 15) return this.decodeSlow(lo, hi);
    const view = this.memory.pageView(this.curPagePhys as GuestPhysicalAddress, false)!;
    const d = this.decoders[this.bitness];
    if (insn === undefined) {
      insn = new Instruction();
      cache.insns[off] = insn;
    }
    d.setBuffer(view, 0, 4096);
    d.decodeAt(insn, off, this.bitness === 64 ? lo : s.ripLo, this.bitness === 64 ? hi : 0);
    // Keep the linear address for the cache check; the decoder saw the segment offset as IP.
    insn.ipLo = lo;
    insn.ipHi = hi;
    this.checkDecoded(insn);
    return insn;
  }

  /**
   * The decode cache of the RAM page holding linear address lo/hi (translated for a fetch, which
   * may raise #PF), marked as code so writes to it invalidate; null when the page is not RAM.
   */
  private codePage(lo: number, hi: number): PageCache | null {
    const tag = hi * 1048576 + (lo >>> 12);
    let cache = this.curCache;
    if (tag !== this.curPageTag || cache === null || !cache.valid) {
      const phys = this.translate(lo, hi, ACCESS_FETCH, 2);
      const page = phys - (phys % 4096);
      cache = this.pageCaches.get(page) ?? null;
      if (cache === null || !cache.valid) {
        if (this.memory.pageView(page as GuestPhysicalAddress, false) === null) return null;
        cache = new PageCache();
        this.pageCaches.set(page, cache);
        this.memory.markCode(page as GuestPhysicalAddress);
        // Writable views cached before the mark would bypass the code-write hook.
        this.tlbTag[1]!.fill(-1);
        this.tlbView[1]!.fill(null);
      }
      this.curCache = cache;
      this.curPageTag = tag;
      this.curPagePhys = page;
    }
    return cache;
  }

  // ------------------------------------------------------------------ compiled blocks

  /**
   * Runs the compiled block at RIP when there is one that fits under `limit` and whose
   * assumptions hold (compiling it once the start is hot); {@link BlockRun.None} leaves the
   * instruction to the interpreter. Faults inside the block propagate with RIP, `retired` and
   * the TSC as the interpreter would leave them.
   */
  private runBlock(limit: number): BlockRun {
    const s = this.state;
    let result = BlockRun.None;
    for (;;) {
      let lo: number;
      let hi = 0;
      if (this.bitness === 64) {
        lo = s.ripLo;
        hi = s.ripHi;
      } else {
        // Compiled 32-bit code assumes linear = offset and no CS limit inside 4 GiB.
        if (s.segBaseLo[SEG_CS] !== 0 || s.segLimit[SEG_CS] !== 0xffffffff) return result;
        lo = s.ripLo;
      }
      const cache = this.codePage(lo, hi);
      if (cache === null) return result;
      const off = lo & 0xfff;
      let block = cache.blocks[off];
      if (block === undefined || block.bitness !== this.bitness || block.ipLo !== lo || block.ipHi !== hi) {
        if (++cache.heat[off]! < this.compileThreshold) return result;
        cache.heat[off] = 0;
        const built = this.buildBlock(cache, lo, hi);
        if (built === null) return result;
        block = built;
      }
      if (this.retired + block.count > limit) return result;
      if (this.bitness !== 64 && !this.flatSegments(block.segments)) return result;
      this.shadow = false;
      if (!block.run(this, s, s.gpr32, s.gpr16, s.gpr8, limit)) return BlockRun.Partial;
      result = BlockRun.Complete;
      // Chain into the next block unless the run loop has something to look at first
      // (a stop, pending events, or a change that rules compiled code out).
      if (this.stopRequested || !this.eventsQuiet() || !this.blocksAllowed()) return result;
    }
  }

  /**
   * True when checkEvents() would deliver nothing at this boundary (no NMI pending, no
   * interrupt requested while IF=1). Compiled code asks it where it goes on into the next
   * block or the next pass of a loop instead of returning to the run loop, so events are
   * still taken at the first boundary after they arrive. Blocks never run with VMX
   * interception or an interrupt shadow, the other things checkEvents looks at.
   */
  eventsQuiet(): boolean {
    if (this.nmiPending && !this.nmiBlocked) return false;
    const ctl = this.interrupts;
    return ctl === null || (this.state.flagsValue & FLAG_IF) === 0 || !ctl.hasInterrupt();
  }

  /** Whether compiled blocks may run now (see runInner). */
  private blocksAllowed(): boolean {
    const codeHooks = this.hooks.code;
    return (
      this.compile &&
      this.bitness !== 16 &&
      // In VMX non-root operation blocks run while no boundary exit (interrupt/NMI window,
      // preemption timer, monitor trap flag) is armed: inline forms never exit, the others
      // reach the interception through execute(), faults through delivery, EPT through translate.
      (this.interception === null || !this.interception.windowsArmed) &&
      this.hooks.memory === undefined &&
      (codeHooks === undefined || codeHooks.size === 0) &&
      // Single-step, RF and breakpoints are checked per instruction by the interpreter only.
      (this.state.flagsValue & (FLAG_TF | FLAG_RF)) === 0 &&
      (this.state.dr[14]! & DR7_ENABLES) === 0 &&
      this.delayedDr6 === 0
    );
  }

  /**
   * True when every segment in `mask` (bits `1 << SEG_*`) is flat — base 0, limit 4 GiB - 1,
   * present, usable, expand-up writable data, so no access inside 4 GiB can fail its checks —
   * and SS is 32-bit if the block uses the stack.
   */
  private flatSegments(mask: number): boolean {
    const s = this.state;
    for (let k = 0; k < 6; k++) {
      if (
        (mask >> k) & 1 &&
        (s.segBaseLo[k] !== 0 || s.segLimit[k] !== 0xffffffff || (s.segAttr[k]! & FLAT_ATTR_MASK) !== FLAT_ATTR)
      ) {
        return false;
      }
    }
    return (mask & BLOCK_USES_STACK) === 0 || (s.segAttr[SEG_SS]! & AR_DB) !== 0;
  }

  /**
   * Decodes the block at lo/hi and compiles it. The block follows direct jumps and calls and
   * predicts the returns of its own calls as long as they stay in this page and reach no
   * instruction twice; it ends at any other control transfer, the page end or MAX_BLOCK_INSNS.
   */
  private buildBlock(cache: PageCache, lo: number, hi: number): CompiledBlock | null {
    const bitness = this.bitness as 32 | 64;
    const view = this.memory.pageView(this.curPagePhys as GuestPhysicalAddress, false);
    if (view === null) return null;
    const d = this.decoders[bitness];
    d.setBuffer(view, 0, 4096);
    const insns: Instruction[] = [];
    const seen = new Set<number>();
    const returns: number[] = [];
    let followedCalls = 0;
    const page = lo - (lo & 0xfff);
    let off = lo & 0xfff;
    let ipLo = lo;
    while (insns.length < MAX_BLOCK_INSNS && off < 4096 && !seen.has(off)) {
      const insn = new Instruction();
      d.decodeAt(insn, off, ipLo, hi);
      // An invalid form or one running past the page end is left to the interpreter.
      if (insn.status !== DecodeStatus.Ok) break;
      insn.ipLo = ipLo;
      insn.ipHi = hi;
      insns.push(insn);
      seen.add(off);
      const cls = classify(insn, bitness);
      if (cls === InsnClass.FallbackEnd) break;
      const fall = ipLo + insn.length;
      let next = fall;
      if (cls === InsnClass.InlineEnd) {
        const h = MNEMONIC_HANDLER[insn.mnemonic]!;
        const direct = insn.opKind[0] === OperandKind.NearBranch;
        if (h === H.Jcc) next = fall;
        else if (h === H.Jmp && direct) next = insn.branchLo;
        else if (h === H.Call && direct && followedCalls++ < MAX_FOLLOWED_CALLS) {
          returns.push(fall);
          next = insn.branchLo;
        } else if (h === H.Ret && returns.length > 0) next = returns.pop()!;
        else break;
        if (bitness === 64 && insn.branchHi !== hi && h !== H.Ret && h !== H.Jcc) break;
      }
      // Only same-page successors (one code page, one invalidation flag); no wrap at 4 GiB.
      if (next > 0xffffffff || next - page < 0 || next - page >= 4096) break;
      off = next - page;
      ipLo = next;
    }
    if (insns.length === 0) return null;
    let block: CompiledBlock;
    try {
      block = compileBlock(insns, bitness, cache, this.blockTlb);
    } catch (e) {
      // `new Function` refused (Content-Security-Policy): interpret from now on.
      if (e instanceof EvalError) {
        this.compile = false;
        return null;
      }
      throw e;
    }
    cache.blocks[lo & 0xfff] = block;
    return block;
  }

  /** Decodes an instruction that crosses a page or sits in MMIO: bytes read through linear fetches, not cached. */
  private decodeSlow(lo: number, hi: number): Instruction {
    const b = this.scratchBytes;
    let n = 0;
    for (; n < 15; n++) {
      const a = lo + n;
      const alo = a >>> 0;
      const ahi = (hi + (a > 0xffffffff ? 1 : 0)) >>> 0;
      if (n > 0 && (alo & 0xfff) === 0) {
        // Probe the next page without faulting: only fault if the instruction needs it.
        if (!this.probe(alo, ahi)) break;
      }
      const phys = this.translate(alo, ahi, ACCESS_FETCH, 2);
      b[n] = this.memory.read8(phys as GuestPhysicalAddress);
    }
    const insn = this.scratchInsn;
    const d = this.decoders[this.bitness];
    d.setBuffer(b, 0, n);
    d.decodeAt(insn, 0, this.bitness === 64 ? lo : this.state.ripLo, this.bitness === 64 ? hi : 0);
    if (insn.status === DecodeStatus.Truncated && n < 15) {
      const a = lo + n;
      this.translate(a >>> 0, (hi + (a > 0xffffffff ? 1 : 0)) >>> 0, ACCESS_FETCH, 2); // raises the #PF
    }
    insn.ipLo = lo;
    insn.ipHi = hi;
    this.checkDecoded(insn);
    this.curCache = null;
    this.curPageTag = -1;
    return insn;
  }

  private checkDecoded(insn: Instruction): void {
    if (insn.status !== DecodeStatus.Ok) {
      // Invalid encoding or longer than 15 bytes: #UD / #GP (SDM 2 2.3.11).
      this.pendingVector = insn.length >= 15 ? VECTOR_GP : VECTOR_UD;
      this.pendingError = insn.length >= 15 ? 0 : -1;
      this.pendingSoftware = false;
      throw FAULT;
    }
  }

  private probe(lo: number, hi: number): boolean {
    if ((this.state.cr0 & CR0_PG) === 0 && this.paging.ept === null) return true;
    return pageWalk(this.memory, this.paging, lo, hi, ACCESS_FETCH | ACCESS_NO_AD_UPDATE, this.walk);
  }

  private invalidateCode(pageBase: number): void {
    const c = this.pageCaches.get(pageBase);
    if (c !== undefined) {
      c.valid = false;
      this.pageCaches.delete(pageBase);
    }
    if (this.curCache === c) this.curCache = null;
    // the write TLB entry for this page holds a null view now; refresh it on the next write
    this.tlbTag[1]!.fill(-1);
  }

  // ------------------------------------------------------------------ translation and memory

  /**
   * Linear -> physical for `access` (ACCESS_* bits), with `kind` 0 read / 1 write / 2 fetch
   * selecting the TLB. Raises #PF (via FAULT) on a failed walk.
   */
  private translate(lo: number, hi: number, access: number, kind: number): number {
    const tag = hi * 1048576 + (lo >>> 12);
    const idx = (lo >>> 12) & (TLB_SIZE - 1);
    const tags = this.tlbTag[kind]!;
    if (tags[idx] === tag) return this.tlbPhys[kind]![idx]! + (lo & 0xfff);
    // SDM 3A 3.3.7.1: non-canonical linear addresses never reach paging (and so never the TLB,
    // which keeps this check off the hit path). Stack and data operands were checked earlier
    // with their own vectors; what gets here (a page-crossing tail, a fetch) is #GP(0).
    if (hi !== 0 && this.state.efer & EFER_LMA_BIT && !isCanonical(hi, this.canonShift)) this.fault(VECTOR_GP, 0);
    let physPage: number;
    if ((this.state.cr0 & CR0_PG) === 0 && this.paging.ept === null) {
      physPage =
        this.bitness === 64 || this.state.efer & EFER_LMA_BIT ? hi * 4294967296 + (lo & ~0xfff) : (lo & ~0xfff) >>> 0;
    } else {
      let acc = access;
      if (this.cpl === 3) acc |= ACCESS_USER;
      else if (this.state.flagsValue & FLAG_AC) acc |= ACCESS_AC;
      // With paging off under EPT (an unrestricted guest) the walk is EPT alone: guest-physical =
      // linear, translated through EPT, violations with "guest-linear address valid" (SDM 3C 29.3).
      if (!pageWalk(this.memory, this.paging, lo, hi, acc, this.walk)) this.walkFault(lo, hi, acc);
      const p = this.walk.physical;
      physPage = p - (p % 4096);
      if (
        kind !== 2 &&
        this.cpl !== 3 &&
        this.state.cr4 & CR4_SMAP &&
        this.walk.rights & RIGHT_USER &&
        this.state.cr0 & CR0_PG
      ) {
        // SDM 3A 4.6.1: a supervisor data access to a user page under SMAP depends on RFLAGS.AC,
        // which STAC/CLAC/POPF change without a TLB flush: such translations are not cached.
        tags[idx] = -1;
        this.tlbView[kind]![idx] = null;
        return (physPage >= 0 ? physPage : physPage >>> 0) + (lo & 0xfff);
      }
    }
    physPage = physPage >= 0 ? physPage : physPage >>> 0;
    tags[idx] = tag;
    this.tlbPhys[kind]![idx] = physPage;
    this.tlbView[kind]![idx] = kind === 2 ? null : this.memory.pageView(physPage as GuestPhysicalAddress, kind === 1);
    return physPage + (lo & 0xfff);
  }

  private walkFault(lo: number, hi: number, _acc: number): never {
    const w = this.walk;
    if (w.status === WalkStatus.PageFault) {
      // CR2 is written when the #PF is delivered: a #PF that causes a VM exit leaves it alone (SDM 3C 28.1).
      this.pfLinearLo = lo;
      this.pfLinearHi = hi;
      this.pfLinearValid = true;
      this.pendingVector = VECTOR_PF;
      this.pendingError = w.errorCode;
    } else if (
      (w.status === WalkStatus.EptViolation || w.status === WalkStatus.EptMisconfig) &&
      this.interception !== null
    ) {
      if (this.interception.ept(w.status === WalkStatus.EptMisconfig, w.eptQualification, w.eptGuestPhysical, lo, hi)) {
        this.vmExited();
        throw ABORT;
      }
      this.pendingVector = VECTOR_GP;
      this.pendingError = 0;
    } else {
      this.pendingVector = VECTOR_GP;
      this.pendingError = 0;
    }
    this.pendingSoftware = false;
    throw FAULT;
  }

  private view(lo: number, hi: number, kind: number): Uint8Array | null {
    const idx = (lo >>> 12) & (TLB_SIZE - 1);
    if (this.tlbTag[kind]![idx] === hi * 1048576 + (lo >>> 12)) return this.tlbView[kind]![idx]!;
    return null;
  }

  readU8(lo: number, hi: number): number {
    if (this.dataWatch) this.watchData(lo, hi, 1, false);
    const v = this.view(lo, hi, 0);
    if (v !== null && this.hooks.memory === undefined) return v[lo & 0xfff]!;
    const p = this.translate(lo, hi, 0, 0);
    const val = this.memory.read8(p as GuestPhysicalAddress);
    if (this.hooks.memory !== undefined) this.hooks.memory(this, p, 1, false, val);
    return val;
  }

  writeU8(lo: number, hi: number, value: number): void {
    if (this.dataWatch) this.watchData(lo, hi, 1, true);
    const v = this.view(lo, hi, 1);
    if (v !== null && this.hooks.memory === undefined) {
      v[lo & 0xfff] = value;
      return;
    }
    const p = this.translate(lo, hi, ACCESS_WRITE, 1);
    if (this.hooks.memory !== undefined) this.hooks.memory(this, p, 1, true, value & 0xff);
    this.memory.write8(p as GuestPhysicalAddress, value);
    if (this.tlbView[1]![(lo >>> 12) & (TLB_SIZE - 1)] === null) this.tlbTag[1]![(lo >>> 12) & (TLB_SIZE - 1)] = -1;
  }

  /** Reads `size` bytes at linear lo/hi into vLo/vHi. */
  private readMem(lo: number, hi: number, size: number): void {
    if (this.dataWatch) this.watchData(lo, hi, size, false);
    const off = lo & 0xfff;
    if (off + size <= 4096 && this.hooks.memory === undefined) {
      let v = this.view(lo, hi, 0);
      if (v === null) {
        const p = this.translate(lo, hi, 0, 0);
        v = this.tlbView[0]![(lo >>> 12) & (TLB_SIZE - 1)]!;
        if (v === null) {
          this.readPhys(p, size);
          return;
        }
      }
      switch (size) {
        case 1:
          this.vLo = v[off]!;
          this.vHi = 0;
          return;
        case 2:
          this.vLo = v[off]! | (v[off + 1]! << 8);
          this.vHi = 0;
          return;
        case 4:
          this.vLo = (v[off]! | (v[off + 1]! << 8) | (v[off + 2]! << 16) | (v[off + 3]! << 24)) >>> 0;
          this.vHi = 0;
          return;
        default:
          this.vLo = (v[off]! | (v[off + 1]! << 8) | (v[off + 2]! << 16) | (v[off + 3]! << 24)) >>> 0;
          this.vHi = (v[off + 4]! | (v[off + 5]! << 8) | (v[off + 6]! << 16) | (v[off + 7]! << 24)) >>> 0;
          return;
      }
    }
    // Page-crossing (or hooked) access: byte by byte, checking both pages first.
    let rlo = 0;
    let rhi = 0;
    for (let i = 0; i < size; i++) {
      const a = lo + i;
      const b = this.readU8(a >>> 0, (hi + (a > 0xffffffff ? 1 : 0)) >>> 0);
      if (i < 4) rlo |= b << (8 * i);
      else rhi |= b << (8 * (i - 4));
    }
    this.vLo = rlo >>> 0;
    this.vHi = rhi >>> 0;
  }

  private readPhys(p: number, size: number): void {
    const m = this.memory;
    const a = p as GuestPhysicalAddress;
    this.vHi = 0;
    if (size === 1) this.vLo = m.read8(a);
    else if (size === 2) this.vLo = m.read16(a);
    else if (size === 4) this.vLo = m.read32(a);
    else {
      m.read64(a, this.tmp64);
      this.vLo = this.tmp64[0]!;
      this.vHi = this.tmp64[1]!;
    }
  }

  /** Writes `size` bytes at linear lo/hi. */
  private writeMem(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    if (this.dataWatch) this.watchData(lo, hi, size, true);
    const off = lo & 0xfff;
    if (off + size <= 4096 && this.hooks.memory === undefined) {
      let v = this.view(lo, hi, 1);
      if (v === null) {
        const p = this.translate(lo, hi, ACCESS_WRITE, 1);
        v = this.tlbView[1]![(lo >>> 12) & (TLB_SIZE - 1)]!;
        if (v === null) {
          const m = this.memory;
          const a = p as GuestPhysicalAddress;
          if (size === 1) m.write8(a, vlo);
          else if (size === 2) m.write16(a, vlo);
          else if (size === 4) m.write32(a, vlo);
          else m.write64(a, vlo, vhi);
          // a code page's write hook cleared its mark: let the next write re-fetch the view
          this.tlbTag[1]![(lo >>> 12) & (TLB_SIZE - 1)] = -1;
          return;
        }
      }
      v[off] = vlo;
      if (size === 1) return;
      v[off + 1] = vlo >>> 8;
      if (size === 2) return;
      v[off + 2] = vlo >>> 16;
      v[off + 3] = vlo >>> 24;
      if (size === 4) return;
      v[off + 4] = vhi;
      v[off + 5] = vhi >>> 8;
      v[off + 6] = vhi >>> 16;
      v[off + 7] = vhi >>> 24;
      return;
    }
    // Crossing: translate both pages before writing anything (no partial write on #PF).
    const endA = lo + size - 1;
    this.translate(endA >>> 0, (hi + (endA > 0xffffffff ? 1 : 0)) >>> 0, ACCESS_WRITE, 1);
    this.translate(lo, hi, ACCESS_WRITE, 1);
    for (let i = 0; i < size; i++) {
      const a = lo + i;
      const b = i < 4 ? vlo >>> (8 * i) : vhi >>> (8 * (i - 4));
      this.writeU8(a >>> 0, (hi + (a > 0xffffffff ? 1 : 0)) >>> 0, b & 0xff);
    }
  }

  // ------------------------------------------------------------------ operands

  /** Computes the linear address of `insn`'s memory operand into eaLo/eaHi. */
  private computeEa(insn: Instruction): void {
    const s = this.state;
    const g = s.gpr32;
    let lo = insn.memDisplacementLo;
    let hi = insn.memDisplacementHi;
    const asz = insn.addressSize;
    const base = insn.memBase;
    if (base !== Register.None && base !== Register.RIP && base !== Register.EIP) {
      const b = REG_INDEX[base]! * 2;
      const t = lo + g[b]!;
      lo = t >>> 0;
      hi = hi + (asz === 8 ? g[b + 1]! : 0) + (t > 0xffffffff ? 1 : 0);
    }
    const index = insn.memIndex;
    if (index !== Register.None) {
      const x = REG_INDEX[index]! * 2;
      const sc = insn.memScale;
      let ilo = g[x]!;
      let ihi = asz === 8 ? g[x + 1]! : 0;
      if (sc !== 1) {
        const t = ilo * sc;
        ihi = ihi * sc + Math.floor(t / 4294967296);
        ilo = t >>> 0;
      }
      const t = lo + ilo;
      lo = t >>> 0;
      hi = hi + ihi + (t > 0xffffffff ? 1 : 0);
    }
    if (asz === 8) hi >>>= 0;
    else {
      hi = 0;
      if (asz === 2) lo &= 0xffff;
    }
    // Segment base: in 64-bit mode only FS/GS have one (SDM 3A 3.4.4).
    const seg = insn.memSegment - Register.ES;
    this.eaSeg = seg;
    this.eaOff = lo;
    if (this.bitness === 64) {
      if (seg === SEG_FS || seg === SEG_GS) {
        const t = lo + s.segBaseLo[seg]!;
        lo = t >>> 0;
        hi = (hi + s.segBaseHi[seg]! + (t > 0xffffffff ? 1 : 0)) >>> 0;
      }
    } else {
      lo = (lo + s.segBaseLo[seg]!) >>> 0;
      hi = 0;
    }
    this.eaLo = lo;
    this.eaHi = hi;
  }

  private ea(insn: Instruction): void {
    if (!this.eaDone) {
      this.computeEa(insn);
      this.eaDone = true;
      // SDM 3A 3.3.7.1: a non-canonical data address is #SS(0) through SS, else #GP(0).
      if (this.bitness === 64 && !isCanonical(this.eaHi, this.canonShift))
        this.fault(this.eaSeg === SEG_SS ? VECTOR_SS : VECTOR_GP, 0);
    }
  }

  /** ea() plus the segment check of a `size`-byte access (skipped for segments {@link segOk} clears). */
  private eaAccess(insn: Instruction, size: number, write: boolean): void {
    this.ea(insn);
    if ((this.segOk[this.eaSeg]! & (write ? SEG_OK_WRITE : SEG_OK_READ)) === 0)
      this.segmentCheck(this.eaSeg, this.eaOff, size, write);
  }

  /** Reads operand `i` of `insn` at `size` bytes into vLo/vHi. */
  private readOp(insn: Instruction, i: number, size: number): void {
    switch (insn.opKind[i]) {
      case OperandKind.Register:
        this.readReg(insn.opRegister[i]!);
        return;
      case OperandKind.Memory:
        this.ea(insn);
        if ((this.segOk[this.eaSeg]! & SEG_OK_READ) === 0) this.segmentCheck(this.eaSeg, this.eaOff, size, false);
        this.readMem(this.eaLo, this.eaHi, size);
        return;
      case OperandKind.Immediate:
        if (size === 8) {
          this.vLo = insn.immediateLo;
          this.vHi = insn.immediateHi;
        } else {
          this.vLo = (insn.immediateLo & sizeMask(size)) >>> 0;
          this.vHi = 0;
        }
        return;
      case OperandKind.Immediate2:
        this.vLo = insn.immediate2;
        this.vHi = 0;
        return;
      default:
        this.vLo = 0;
        this.vHi = 0;
    }
  }

  /**
   * For a read-modify-write instruction whose destination (operand 0) is memory, raises the
   * write's segment fault or #PF before the flags change: the fault is precise and leaves
   * RFLAGS as it was (the read already computed the address). A no-op for registers.
   */
  private probeRmwDestination(insn: Instruction, size: number): void {
    if (insn.opKind[0] !== OperandKind.Memory) return;
    if ((this.segOk[this.eaSeg]! & SEG_OK_WRITE) === 0) this.segmentCheck(this.eaSeg, this.eaOff, size, true);
    const lo = this.eaLo;
    const hi = this.eaHi;
    if (this.view(lo, hi, 1) === null) this.translate(lo, hi, ACCESS_WRITE, 1);
    if ((lo & 0xfff) + size > 4096) {
      const a = lo + size - 1;
      this.translate(a >>> 0, (hi + (a > 0xffffffff ? 1 : 0)) >>> 0, ACCESS_WRITE, 1);
    }
  }

  /** Writes operand `i` (register or memory) at `size` bytes. */
  private writeOp(insn: Instruction, i: number, size: number, lo: number, hi: number): void {
    if (insn.opKind[i] === OperandKind.Register) this.writeReg(insn.opRegister[i]!, lo, hi);
    else {
      this.ea(insn);
      if ((this.segOk[this.eaSeg]! & SEG_OK_WRITE) === 0) this.segmentCheck(this.eaSeg, this.eaOff, size, true);
      this.writeMem(this.eaLo, this.eaHi, size, lo, hi);
    }
  }

  private readReg(reg: number): void {
    const g = this.state;
    const n = REG_INDEX[reg]!;
    switch (REG_KIND[reg]) {
      case RegKind.Gpr64:
        this.vLo = g.gpr32[2 * n]!;
        this.vHi = g.gpr32[2 * n + 1]!;
        return;
      case RegKind.Gpr32:
        this.vLo = g.gpr32[2 * n]!;
        break;
      case RegKind.Gpr16:
        this.vLo = g.gpr16[4 * n]!;
        break;
      case RegKind.Gpr8Low:
        this.vLo = g.gpr8[8 * n]!;
        break;
      case RegKind.Gpr8High:
        this.vLo = g.gpr8[8 * n + 1]!;
        break;
      case RegKind.Segment:
        this.vLo = g.segSelector[n]!;
        break;
      case RegKind.Xmm:
        this.vLo = this.xmm[4 * n]!;
        this.vHi = this.xmm[4 * n + 1]!;
        return;
      default:
        this.vLo = 0;
    }
    this.vHi = 0;
  }

  private writeReg(reg: number, lo: number, hi: number): void {
    const g = this.state;
    const n = REG_INDEX[reg]!;
    switch (REG_KIND[reg]) {
      case RegKind.Gpr64:
        g.gpr32[2 * n] = lo;
        g.gpr32[2 * n + 1] = hi;
        return;
      case RegKind.Gpr32:
        // SDM 1 3.4.1.1: 32-bit results are zero-extended into the 64-bit register.
        g.gpr32[2 * n] = lo;
        g.gpr32[2 * n + 1] = 0;
        return;
      case RegKind.Gpr16:
        g.gpr16[4 * n] = lo;
        return;
      case RegKind.Gpr8Low:
        g.gpr8[8 * n] = lo;
        return;
      case RegKind.Gpr8High:
        g.gpr8[8 * n + 1] = lo;
        return;
      case RegKind.Xmm:
        this.xmm[4 * n] = lo;
        this.xmm[4 * n + 1] = hi;
        this.xmm[4 * n + 2] = 0;
        this.xmm[4 * n + 3] = 0;
        return;
    }
  }

  /** Operand size of a register/memory operand i in bytes. */
  private opSize(insn: Instruction, i: number): number {
    if (insn.opKind[i] === OperandKind.Register) {
      const k = REG_KIND[insn.opRegister[i]!]!;
      return k <= RegKind.Gpr8High
        ? 1
        : k === RegKind.Gpr16
          ? 2
          : k === RegKind.Gpr32
            ? 4
            : k === RegKind.Gpr64
              ? 8
              : 2;
    }
    return insn.memSize;
  }

  // ------------------------------------------------------------------ stack

  private stackSize(): number {
    if (this.bitness === 64) return 8;
    return this.state.segAttr[SEG_SS]! & AR_DB ? 4 : 2;
  }

  private push(size: number, lo: number, hi: number): void {
    const s = this.state;
    const g = s.gpr32;
    const ss = this.stackSize();
    let spLo: number;
    let spHi = 0;
    if (ss === 8) {
      const t = g[8]! - size;
      spLo = t >>> 0;
      spHi = (g[9]! - (t < 0 ? 1 : 0)) >>> 0;
      if (!isCanonical(spHi, this.canonShift)) this.fault(VECTOR_SS, 0);
      this.writeMem(spLo, spHi, size, lo, hi);
      g[8] = spLo;
      g[9] = spHi;
    } else if (ss === 4) {
      spLo = (g[8]! - size) >>> 0;
      if ((this.segOk[SEG_SS]! & SEG_OK_WRITE) === 0) this.segmentCheck(SEG_SS, spLo, size, true);
      this.writeMem((s.segBaseLo[SEG_SS]! + spLo) >>> 0, 0, size, lo, hi);
      g[8] = spLo;
      g[9] = 0;
    } else {
      spLo = (s.gpr16[16]! - size) & 0xffff;
      if ((this.segOk[SEG_SS]! & SEG_OK_WRITE) === 0) this.segmentCheck(SEG_SS, spLo, size, true);
      this.writeMem((s.segBaseLo[SEG_SS]! + spLo) >>> 0, 0, size, lo, hi);
      s.gpr16[16] = spLo;
    }
  }

  /** Pops `size` bytes into vLo/vHi. */
  private pop(size: number): void {
    const s = this.state;
    const g = s.gpr32;
    const ss = this.stackSize();
    if (ss === 8) {
      if (!isCanonical(g[9]!, this.canonShift)) this.fault(VECTOR_SS, 0);
      this.readMem(g[8]!, g[9]!, size);
      const t = g[8]! + size;
      g[8] = t >>> 0;
      if (t > 0xffffffff) g[9] = (g[9]! + 1) >>> 0;
    } else if (ss === 4) {
      if ((this.segOk[SEG_SS]! & SEG_OK_READ) === 0) this.segmentCheck(SEG_SS, g[8]!, size, false);
      this.readMem((s.segBaseLo[SEG_SS]! + g[8]!) >>> 0, 0, size);
      g[8] = (g[8]! + size) >>> 0;
      g[9] = 0;
    } else {
      if ((this.segOk[SEG_SS]! & SEG_OK_READ) === 0) this.segmentCheck(SEG_SS, s.gpr16[16]!, size, false);
      this.readMem((s.segBaseLo[SEG_SS]! + s.gpr16[16]!) >>> 0, 0, size);
      s.gpr16[16] = (s.gpr16[16]! + size) & 0xffff;
    }
  }

  /** Reads the stack slot at SP+offset without popping (into vLo/vHi). */
  private peek(offset: number, size: number): void {
    const s = this.state;
    const g = s.gpr32;
    const ss = this.stackSize();
    if (ss === 8) {
      const t = g[8]! + offset;
      const hi = (g[9]! + (t > 0xffffffff ? 1 : 0)) >>> 0;
      if (!isCanonical(hi, this.canonShift)) this.fault(VECTOR_SS, 0);
      this.readMem(t >>> 0, hi, size);
      return;
    }
    const off = ss === 4 ? (g[8]! + offset) >>> 0 : (s.gpr16[16]! + offset) & 0xffff;
    if ((this.segOk[SEG_SS]! & SEG_OK_READ) === 0) this.segmentCheck(SEG_SS, off, size, false);
    this.readMem((s.segBaseLo[SEG_SS]! + off) >>> 0, 0, size);
  }

  private addSp(n: number): void {
    const s = this.state;
    const g = s.gpr32;
    const ss = this.stackSize();
    if (ss === 8) {
      const t = g[8]! + n;
      g[8] = t >>> 0;
      if (t > 0xffffffff) g[9] = (g[9]! + 1) >>> 0;
    } else if (ss === 4) {
      g[8] = (g[8]! + n) >>> 0;
      g[9] = 0;
    } else s.gpr16[16] = (s.gpr16[16]! + n) & 0xffff;
  }

  // ------------------------------------------------------------------ control flow helpers

  private nextIp(insn: Instruction): void {
    const s = this.state;
    if (this.bitness === 64) {
      const t = s.ripLo + insn.length;
      s.ripLo = t >>> 0;
      if (t > 0xffffffff) s.ripHi = (s.ripHi + 1) >>> 0;
    } else {
      const t = s.ripLo + insn.length;
      s.ripLo = insn.operandSize === 2 && this.bitness === 16 ? t & 0xffff : t >>> 0;
    }
  }

  private jumpTo(lo: number, hi: number, opSize: number): void {
    const s = this.state;
    this.checkBranchTarget(lo, hi, opSize);
    if (this.bitness === 64 && opSize === 8) {
      s.ripLo = lo >>> 0;
      s.ripHi = hi >>> 0;
    } else {
      s.ripLo = opSize === 2 ? lo & 0xffff : lo >>> 0;
      s.ripHi = 0;
    }
  }

  /**
   * #GP(0) for a branch target outside the CS limit (SDM 3A 5.3) or, in 64-bit mode, not
   * canonical (SDM 3A 3.3.7.1) — raised by the branch itself, before RIP or RSP change.
   */
  private checkBranchTarget(lo: number, hi: number, opSize: number): void {
    if (this.bitness === 64) {
      if (opSize === 8 && !isCanonical(hi, this.canonShift)) this.fault(VECTOR_GP, 0);
    } else if ((opSize === 2 ? lo & 0xffff : lo >>> 0) > this.csFetchLimit) this.fault(VECTOR_GP, 0);
  }

  /** Near-branch target: decoder gives it relative to the instruction's IP, which we store as linear; correct for CS base. */
  private branchTarget(insn: Instruction): void {
    if (this.bitness === 64) {
      this.vLo = insn.branchLo;
      this.vHi = insn.branchHi;
    } else {
      // The cached instruction's ip is linear; the decoder computed branchLo from the segment-offset IP at decode time.
      this.vLo = insn.branchLo;
      this.vHi = 0;
    }
  }

  private cond(c: number): boolean {
    const s = this.state;
    const op = s.lazyOp;
    if (op !== LazyOp.None) {
      // Lazy fast paths: ZF and SF straight from the result, the compare conditions from the operands of a SUB/CMP.
      const kind = c >> 1;
      if (kind === 2) {
        const z = (s.lazyResLo | s.lazyResHi) === 0;
        return (c & 1) === 0 ? z : !z;
      }
      if (kind === 4) {
        const sign = s.lazySize === 8 ? s.lazyResHi >>> 31 : (s.lazyResLo >>> (s.lazySize * 8 - 1)) & 1;
        return (c & 1) === 0 ? sign === 1 : sign === 0;
      }
      if (op === LazyOp.Sub && s.lazyCarry === 0 && s.lazySize !== 8) {
        const d = s.lazyDstLo;
        const v = s.lazySrcLo;
        let r: boolean;
        if (kind === 1) r = d < v;
        else if (kind === 3) r = d <= v;
        else if (kind >= 6) {
          const sh = 32 - s.lazySize * 8;
          const sd = (d << sh) >> sh;
          const sv = (v << sh) >> sh;
          r = kind === 6 ? sd < sv : sd <= sv;
        } else return this.condFlags(c);
        return (c & 1) === 0 ? r : !r;
      }
    }
    return this.condFlags(c);
  }

  private condFlags(c: number): boolean {
    const s = this.state;
    const f = s.getFlags();
    let r: boolean;
    switch (c >> 1) {
      case 0:
        r = (f & FLAG_OF) !== 0;
        break;
      case 1:
        r = (f & FLAG_CF) !== 0;
        break;
      case 2:
        r = (f & FLAG_ZF) !== 0;
        break;
      case 3:
        r = (f & (FLAG_CF | FLAG_ZF)) !== 0;
        break;
      case 4:
        r = (f & FLAG_SF) !== 0;
        break;
      case 5:
        r = (f & FLAG_PF) !== 0;
        break;
      case 6:
        r = ((f & FLAG_SF) !== 0) !== ((f & FLAG_OF) !== 0);
        break;
      default:
        r = (f & FLAG_ZF) !== 0 || ((f & FLAG_SF) !== 0) !== ((f & FLAG_OF) !== 0);
    }
    return (c & 1) === 0 ? r : !r;
  }

  private fault(vector: number, errorCode = -1): never {
    this.pendingVector = vector;
    this.pendingError = errorCode;
    this.pendingSoftware = false;
    throw FAULT;
  }

  // ------------------------------------------------------------------ execution

  private execute(insn: Instruction): void {
    const s = this.state;
    const g = s.gpr32;
    const h = MNEMONIC_HANDLER[insn.mnemonic]!;
    const osz = insn.operandSize;
    switch (h) {
      case H.Mov: {
        const size = this.opSize(insn, 0);
        const k0 = insn.opKind[0];
        const k1 = insn.opKind[1];
        if (k0 === OperandKind.Register && REG_KIND[insn.opRegister[0]!]! === RegKind.Segment) {
          this.readOp(insn, 1, 2);
          this.loadSegment(REG_INDEX[insn.opRegister[0]!]!, this.vLo, false);
          if (REG_INDEX[insn.opRegister[0]!] === SEG_SS) {
            this.beginShadow(BLOCKING_MOV_SS);
          }
          break;
        }
        if (k1 === OperandKind.Register && REG_KIND[insn.opRegister[1]!]! === RegKind.Segment) {
          const sz = k0 === OperandKind.Register ? this.opSize(insn, 0) : 2;
          this.writeOp(insn, 0, sz, s.segSelector[REG_INDEX[insn.opRegister[1]!]!]!, 0);
          break;
        }
        if (k0 === OperandKind.Register && REG_KIND[insn.opRegister[0]!]! === RegKind.Cr) {
          this.movToCr(insn);
          break;
        }
        if (k1 === OperandKind.Register && REG_KIND[insn.opRegister[1]!]! === RegKind.Cr) {
          this.movFromCr(insn);
          break;
        }
        if (
          (k0 === OperandKind.Register && REG_KIND[insn.opRegister[0]!]! === RegKind.Dr) ||
          (k1 === OperandKind.Register && REG_KIND[insn.opRegister[1]!]! === RegKind.Dr)
        ) {
          this.movDr(insn);
          break;
        }
        const sz = k0 === OperandKind.Memory ? insn.memSize || size : size;
        this.readOp(insn, 1, sz);
        this.writeOp(insn, 0, sz, this.vLo, this.vHi);
        break;
      }
      case H.Movzx:
      case H.Movsx:
      case H.Movsxd: {
        const dsz = this.opSize(insn, 0);
        const ssz = this.opSize(insn, 1);
        this.readOp(insn, 1, ssz);
        let lo = this.vLo;
        let hi = 0;
        if (h !== H.Movzx) {
          const sh = 32 - ssz * 8;
          lo = sh === 0 ? lo | 0 : (lo << sh) >> sh;
          hi = lo < 0 ? 0xffffffff : 0;
          lo >>>= 0;
          if (dsz < 4) lo &= sizeMask(dsz);
        }
        this.writeOp(insn, 0, dsz, lo, dsz === 8 ? hi : 0);
        break;
      }
      case H.Lea: {
        this.computeLeaOffset(insn);
        const dsz = this.opSize(insn, 0);
        this.writeReg(insn.opRegister[0]!, dsz === 2 ? this.eaLo & 0xffff : this.eaLo, dsz === 8 ? this.eaHi : 0);
        break;
      }
      case H.Add:
      case H.Adc:
      case H.Sub:
      case H.Sbb:
      case H.Cmp:
      case H.And:
      case H.Or:
      case H.Xor:
      case H.Test: {
        const size = this.opSize(insn, 0) || insn.memSize;
        this.lockCheck(insn);
        this.readOp(insn, 1, size);
        const sLo = this.vLo;
        const sHi = size === 8 ? this.vHi : 0;
        this.readOp(insn, 0, size);
        const dLo = this.vLo;
        const dHi = size === 8 ? this.vHi : 0;
        if (h !== H.Cmp && h !== H.Test) this.probeRmwDestination(insn, size);
        if (h === H.Add) aluAdd(s, size, dLo, dHi, sLo, sHi, 0);
        else if (h === H.Adc) aluAdd(s, size, dLo, dHi, sLo, sHi, s.carry());
        else if (h === H.Sub || h === H.Cmp) aluSub(s, size, dLo, dHi, sLo, sHi, 0);
        else if (h === H.Sbb) aluSub(s, size, dLo, dHi, sLo, sHi, s.carry());
        else aluLogic(s, size, h === H.Or ? 1 : h === H.Xor ? 2 : 0, dLo, dHi, sLo, sHi);
        if (h !== H.Cmp && h !== H.Test) this.writeOp(insn, 0, size, s.outLo, s.outHi);
        break;
      }
      case H.Inc:
      case H.Dec: {
        const size = this.opSize(insn, 0);
        this.lockCheck(insn);
        this.readOp(insn, 0, size);
        this.probeRmwDestination(insn, size);
        aluIncDec(s, size, this.vLo, this.vHi, h === H.Inc ? 1 : -1);
        this.writeOp(insn, 0, size, s.outLo, s.outHi);
        break;
      }
      case H.Neg: {
        const size = this.opSize(insn, 0);
        this.lockCheck(insn);
        this.readOp(insn, 0, size);
        this.probeRmwDestination(insn, size);
        aluNeg(s, size, this.vLo, size === 8 ? this.vHi : 0);
        this.writeOp(insn, 0, size, s.outLo, s.outHi);
        break;
      }
      case H.Not: {
        const size = this.opSize(insn, 0);
        this.lockCheck(insn);
        this.readOp(insn, 0, size);
        this.writeOp(insn, 0, size, size === 8 ? ~this.vLo >>> 0 : (~this.vLo & sizeMask(size)) >>> 0, ~this.vHi >>> 0);
        break;
      }
      case H.Shift: {
        const size = this.opSize(insn, 0);
        let count = 1;
        if (insn.opCount > 1) {
          this.readOp(insn, 1, 1);
          count = this.vLo & 0xff;
        }
        this.readOp(insn, 0, size);
        this.probeRmwDestination(insn, size);
        aluShift(s, size, MNEMONIC_COND[insn.mnemonic]! as ShiftOp, this.vLo, this.vHi, count);
        // Written even for a zero count: a 32-bit destination still has bits 63:32 cleared (host-verified).
        this.writeOp(insn, 0, size, s.outLo, s.outHi);
        break;
      }
      case H.Shld:
      case H.Shrd: {
        const size = this.opSize(insn, 0);
        this.readOp(insn, 2, 1);
        const count = this.vLo & 0xff;
        this.readOp(insn, 1, size);
        const sLo = this.vLo;
        const sHi = this.vHi;
        this.readOp(insn, 0, size);
        this.probeRmwDestination(insn, size);
        aluShiftDouble(s, size, h === H.Shld, this.vLo, this.vHi, sLo, sHi, count);
        this.writeOp(insn, 0, size, s.outLo, s.outHi);
        break;
      }
      case H.Mul:
      case H.Imul:
        this.execMul(insn, h === H.Imul);
        break;
      case H.Div:
      case H.Idiv:
        this.execDiv(insn, h === H.Idiv);
        break;
      case H.Push: {
        let size = osz;
        if (insn.opKind[0] === OperandKind.Register && REG_KIND[insn.opRegister[0]!] === RegKind.Segment) {
          this.readOp(insn, 0, 2);
          const sel = this.vLo;
          if (size === 2) this.push(2, sel, 0);
          else {
            // SDM 2 "PUSH": recent Intel processors store a segment register with a 16-bit move,
            // leaving the upper bytes of the stack slot as they were (v86 agrees).
            this.peek(-size, size);
            this.push(size, ((this.vLo & 0xffff0000) | sel) >>> 0, this.vHi);
          }
          break;
        }
        if (insn.opKind[0] === OperandKind.Memory) size = insn.memSize || osz;
        this.readOp(insn, 0, size);
        this.push(size, this.vLo, this.vHi);
        break;
      }
      case H.Pop: {
        if (insn.opKind[0] === OperandKind.Register && REG_KIND[insn.opRegister[0]!] === RegKind.Segment) {
          this.peek(0, osz);
          this.loadSegment(REG_INDEX[insn.opRegister[0]!]!, this.vLo & 0xffff, false);
          this.addSp(osz);
          if (REG_INDEX[insn.opRegister[0]!] === SEG_SS) {
            this.beginShadow(BLOCKING_MOV_SS);
          }
          break;
        }
        const size = insn.opKind[0] === OperandKind.Memory ? insn.memSize || osz : this.opSize(insn, 0);
        this.pop(size);
        const lo = this.vLo;
        const hi = this.vHi;
        if (insn.opKind[0] === OperandKind.Memory) {
          // SDM: POP to memory computes the address after incrementing RSP.
          this.eaDone = false;
        }
        this.writeOp(insn, 0, size, lo, hi);
        break;
      }
      case H.Jcc:
        if (this.cond(MNEMONIC_COND[insn.mnemonic]!)) {
          this.branchTarget(insn);
          this.jumpTo(this.vLo, this.vHi, osz);
          return;
        }
        break;
      case H.Jmp:
        if (insn.opKind[0] === OperandKind.NearBranch) {
          this.branchTarget(insn);
          this.jumpTo(this.vLo, this.vHi, osz);
          return;
        }
        if (insn.opKind[0] === OperandKind.FarBranch) {
          this.farBranch(insn, insn.farSelector, insn.farOffset, 0, osz, false);
          return;
        }
        if (insn.memSize > 8 || (insn.memSize === 4 && osz === 2) || (insn.memSize === 6 && osz === 4)) {
          this.farIndirect(insn, false);
          return;
        }
        this.readOp(insn, 0, osz);
        this.jumpTo(this.vLo, this.vHi, osz);
        return;
      case H.Call: {
        if (insn.opKind[0] === OperandKind.FarBranch) {
          this.farBranch(insn, insn.farSelector, insn.farOffset, 0, osz, true);
          return;
        }
        if (insn.opKind[0] === OperandKind.Memory && insn.memSize > osz) {
          this.farIndirect(insn, true);
          return;
        }
        if (insn.opKind[0] === OperandKind.NearBranch) this.branchTarget(insn);
        else this.readOp(insn, 0, osz);
        const tLo = this.vLo;
        const tHi = this.vHi;
        // Target and push are checked before RIP changes, so a fault leaves RIP on the CALL.
        this.checkBranchTarget(tLo, tHi, osz);
        const ipLo = s.ripLo;
        const ipHi = s.ripHi;
        this.nextIp(insn);
        const retLo = s.ripLo;
        const retHi = s.ripHi;
        s.ripLo = ipLo;
        s.ripHi = ipHi;
        this.push(osz, retLo, retHi);
        this.jumpTo(tLo, tHi, osz);
        return;
      }
      case H.Ret: {
        // Read, check the target, then release the stack: a bad target faults with RSP intact.
        this.peek(0, osz);
        const lo = this.vLo;
        const hi = this.vHi;
        this.checkBranchTarget(lo, hi, osz);
        this.addSp(osz + (insn.opCount > 0 ? insn.immediateLo & 0xffff : 0));
        this.jumpTo(lo, hi, osz);
        return;
      }
      case H.Retf:
        this.farReturn(insn);
        return;
      case H.Iret:
        this.iret(osz, insn);
        return;
      case H.Leave: {
        const ss = this.stackSize();
        if (ss === 8) {
          g[8] = g[10]!;
          g[9] = g[11]!;
        } else if (ss === 4) {
          g[8] = g[10]!;
          g[9] = 0;
        } else s.gpr16[16] = s.gpr16[20]!;
        this.pop(osz);
        if (osz === 8) {
          g[10] = this.vLo;
          g[11] = this.vHi;
        } else if (osz === 4) {
          g[10] = this.vLo;
          g[11] = 0;
        } else s.gpr16[20] = this.vLo;
        break;
      }
      case H.Enter:
        this.enter(insn);
        break;
      case H.Setcc:
        this.writeOp(insn, 0, 1, this.cond(MNEMONIC_COND[insn.mnemonic]!) ? 1 : 0, 0);
        break;
      case H.Cmovcc: {
        const size = this.opSize(insn, 0);
        this.readOp(insn, 1, size);
        // SDM: a 32-bit CMOV zero-extends the destination even when the condition is false.
        if (this.cond(MNEMONIC_COND[insn.mnemonic]!)) this.writeReg(insn.opRegister[0]!, this.vLo, this.vHi);
        else if (size === 4) g[2 * REG_INDEX[insn.opRegister[0]!]! + 1] = 0;
        break;
      }
      case H.Xchg: {
        const size = this.opSize(insn, 0);
        this.readOp(insn, 0, size);
        const aLo = this.vLo;
        const aHi = this.vHi;
        this.readOp(insn, 1, size);
        const bLo = this.vLo;
        const bHi = this.vHi;
        this.writeOp(insn, 0, size, bLo, bHi);
        this.writeOp(insn, 1, size, aLo, aHi);
        break;
      }
      case H.Cmpxchg: {
        const size = this.opSize(insn, 0);
        this.lockCheck(insn);
        this.readOp(insn, 0, size);
        const dLo = this.vLo;
        const dHi = size === 8 ? this.vHi : 0;
        const aLo = size === 1 ? s.gpr8[0]! : size === 2 ? s.gpr16[0]! : g[0]!;
        const aHi = size === 8 ? g[1]! : 0;
        aluSub(s, size, aLo, aHi, dLo, dHi, 0);
        if (aLo === dLo && aHi === dHi) {
          this.readOp(insn, 1, size);
          this.writeOp(insn, 0, size, this.vLo, this.vHi);
        } else {
          // SDM: the destination is written back with its own value (a locked RMW), then the accumulator loaded.
          this.writeOp(insn, 0, size, dLo, dHi);
          if (size === 1) s.gpr8[0] = dLo;
          else if (size === 2) s.gpr16[0] = dLo;
          else {
            g[0] = dLo;
            g[1] = dHi;
          }
        }
        break;
      }
      case H.Cmpxchg8b:
        this.cmpxchg8b(insn);
        break;
      case H.Xadd: {
        const size = this.opSize(insn, 0);
        this.lockCheck(insn);
        this.readOp(insn, 1, size);
        const sLo = this.vLo;
        const sHi = this.vHi;
        this.readOp(insn, 0, size);
        const dLo = this.vLo;
        const dHi = this.vHi;
        aluAdd(s, size, dLo, size === 8 ? dHi : 0, sLo, size === 8 ? sHi : 0, 0);
        const rLo = s.outLo;
        const rHi = s.outHi;
        this.writeOp(insn, 1, size, dLo, dHi);
        this.writeOp(insn, 0, size, rLo, rHi);
        break;
      }
      case H.Bt:
        this.execBt(insn, MNEMONIC_COND[insn.mnemonic]!);
        break;
      case H.Bsf:
      case H.Bsr:
        this.bsfBsr(insn, h === H.Bsr);
        break;
      case H.Tzcnt:
      case H.Lzcnt:
      case H.Popcnt: {
        // Without the CPUID bit TZCNT/LZCNT run as BSF/BSR (their REP prefix is ignored) and POPCNT is #UD.
        const need = h === H.Tzcnt ? CPU_FEATURE_BMI1 : h === H.Lzcnt ? CPU_FEATURE_LZCNT : CPU_FEATURE_POPCNT;
        if ((this.cpuidModel.features & need) === 0) {
          if (h === H.Popcnt) this.fault(VECTOR_UD);
          this.bsfBsr(insn, h === H.Lzcnt);
          break;
        }
        const size = this.opSize(insn, 0);
        this.readOp(insn, 1, size);
        const lo = this.vLo;
        const hi = size === 8 ? this.vHi : 0;
        let r: number;
        if (h === H.Popcnt) r = popcount32(lo) + popcount32(hi);
        else if (h === H.Tzcnt) {
          const b = bitScan(size, lo, hi, false);
          r = b < 0 ? size * 8 : b;
        } else {
          const b = bitScan(size, lo, hi, true);
          r = b < 0 ? size * 8 : size * 8 - 1 - b;
        }
        const f = s.getFlags() & ~(FLAG_ZF | FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF);
        if (h === H.Popcnt) s.setFlags(f | (r === 0 ? FLAG_ZF : 0));
        else s.setFlags(f | (r === 0 ? FLAG_ZF : 0) | (r === size * 8 ? FLAG_CF : 0));
        this.writeReg(insn.opRegister[0]!, r, 0);
        break;
      }
      case H.Bswap: {
        const r = insn.opRegister[0]!;
        this.readReg(r);
        if (REG_KIND[r] === RegKind.Gpr64) this.writeReg(r, byteSwap32(this.vHi), byteSwap32(this.vLo));
        else if (REG_KIND[r] === RegKind.Gpr32) this.writeReg(r, byteSwap32(this.vLo), 0);
        else this.writeReg(r, 0, 0); // BSWAP r16 is undefined; Intel and AMD give 0
        break;
      }
      case H.Cbw: {
        // The mnemonic names the size (the form has no explicit operand).
        const osz = MNEMONIC_COND[insn.mnemonic]!;
        if (osz === 2) s.gpr16[0] = (s.gpr8[0]! << 24) >> 24;
        else if (osz === 4) {
          g[0] = (s.gpr16[0]! << 16) >> 16;
          g[1] = 0;
        } else {
          g[1] = g[0]! >>> 31 ? 0xffffffff : 0;
        }
        break;
      }
      case H.Cwd: {
        const osz = MNEMONIC_COND[insn.mnemonic]!;
        if (osz === 2) s.gpr16[8] = s.gpr16[0]! & 0x8000 ? 0xffff : 0;
        else if (osz === 4) {
          g[4] = g[0]! >>> 31 ? 0xffffffff : 0;
          g[5] = 0;
        } else {
          const v = g[1]! >>> 31 ? 0xffffffff : 0;
          g[4] = v;
          g[5] = v;
        }
        break;
      }
      case H.Nop:
        break;
      case H.Clc:
        s.setFlags(s.getFlags() & ~FLAG_CF);
        break;
      case H.Stc:
        s.setFlags(s.getFlags() | FLAG_CF);
        break;
      case H.Cmc:
        s.setFlags(s.getFlags() ^ FLAG_CF);
        break;
      case H.Cld:
        s.flagsValue &= ~FLAG_DF;
        break;
      case H.Std:
        s.flagsValue |= FLAG_DF;
        break;
      case H.Lahf:
        s.gpr8[1] = s.getFlags() & 0xff;
        break;
      case H.Sahf:
        s.setFlags((s.getFlags() & ~0xd5) | (s.gpr8[1]! & 0xd5));
        break;
      case H.Pushf: {
        const f = s.getFlags();
        const access = f & FLAG_VM ? v86FlagsAccess(f, s.cr4, osz) : FlagAccess.Real;
        if (access === FlagAccess.Fault) this.fault(VECTOR_GP, 0);
        // SDM: VM and RF are cleared in the pushed image; under VME it shows VIF as IF and IOPL 3.
        this.push(osz, access === FlagAccess.Virtual ? virtualFlagsImage(f) : f & ~(FLAG_VM | FLAG_RF), 0);
        break;
      }
      case H.Popf:
        // Peek, load, then release the slot: a #GP from the flags check leaves SP alone.
        this.peek(0, osz);
        this.writeFlagsFromPop(this.vLo, osz);
        this.addSp(osz);
        break;
      case H.Cli:
      case H.Sti:
        this.cliSti(h === H.Sti);
        break;
      case H.String:
        this.execString(insn);
        break;
      case H.StringOrSse:
        if (
          insn.opKind[0] === OperandKind.MemoryStringDestination ||
          insn.opKind[0] === OperandKind.MemoryStringSource
        ) {
          this.execString(insn);
        } else this.execSse(insn);
        break;
      case H.Loop: {
        const asz = insn.addressSize;
        let zero: boolean;
        if (asz === 8) {
          const t = g[2]! - 1;
          g[2] = t >>> 0;
          if (t < 0) g[3] = (g[3]! - 1) >>> 0;
          zero = (g[2]! | g[3]!) === 0;
        } else if (asz === 4) {
          g[2] = (g[2]! - 1) >>> 0;
          g[3] = 0;
          zero = g[2] === 0;
        } else {
          s.gpr16[4] = (s.gpr16[4]! - 1) & 0xffff; // CX (gpr16[4n] is register n)
          zero = s.gpr16[4] === 0;
        }
        const c = MNEMONIC_COND[insn.mnemonic]!;
        const take =
          !zero && (c === 0 ? true : c === 1 ? (s.getFlags() & FLAG_ZF) !== 0 : (s.getFlags() & FLAG_ZF) === 0);
        if (take) {
          this.branchTarget(insn);
          this.jumpTo(this.vLo, this.vHi, osz);
          return;
        }
        break;
      }
      case H.Jcxz: {
        const asz = insn.addressSize;
        const zero = asz === 8 ? (g[2]! | g[3]!) === 0 : asz === 4 ? g[2] === 0 : s.gpr16[4] === 0;
        if (zero) {
          this.branchTarget(insn);
          this.jumpTo(this.vLo, this.vHi, osz);
          return;
        }
        break;
      }
      case H.Xlat: {
        const asz = insn.addressSize;
        let lo = (asz === 2 ? s.gpr16[12]! : g[6]!) + s.gpr8[0]!; // BX / EBX + AL
        let hi = asz === 8 ? g[7]! + (lo > 0xffffffff ? 1 : 0) : 0;
        lo = asz === 2 ? lo & 0xffff : lo >>> 0;
        const seg = insn.memSegment - Register.ES;
        if (this.bitness !== 64 || seg >= SEG_FS) {
          const t = lo + s.segBaseLo[seg]!;
          lo = t >>> 0;
          hi = this.bitness === 64 ? (hi + s.segBaseHi[seg]! + (t > 0xffffffff ? 1 : 0)) >>> 0 : 0;
        }
        this.readMem(lo, hi, 1);
        s.gpr8[0] = this.vLo;
        break;
      }
      case H.Syscall:
        if (this.hooks.syscall !== undefined) {
          this.nextIp(insn);
          this.hooks.syscall(this);
          return;
        }
        this.syscall(insn);
        return;
      case H.Sysret:
        this.sysret(insn);
        return;
      case H.Int:
      case H.Int3:
      case H.Into:
      case H.Int1: {
        const vector = h === H.Int ? insn.immediateLo & 0xff : h === H.Int3 ? 3 : h === H.Into ? 4 : 1;
        if (h === H.Into && (s.getFlags() & FLAG_OF) === 0) break;
        if (h === H.Int && s.flagsValue & FLAG_VM && this.v86Int(insn, vector)) return;
        this.nextIp(insn);
        // SDM 3C 25.9.2: INT n is a software interrupt (4), INT1 a privileged software exception (5), INT3/INTO software exceptions (6).
        const type =
          h === H.Int
            ? EVENT_TYPE_SOFTWARE_INTERRUPT
            : h === H.Int1
              ? EVENT_TYPE_PRIVILEGED_SOFTWARE
              : EVENT_TYPE_SOFTWARE_EXCEPTION;
        this.deliverEvent(vector, -1, h !== H.Int1, false, type, insn.length);
        return;
      }
      case H.Hlt:
        if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
        if (this.interception?.hlt(insn.length)) {
          this.vmExited();
          throw ABORT;
        }
        this.nextIp(insn);
        this.halted = true;
        this.stopRequested = true;
        this.stopReason = StopReason.Halt;
        // In VMX non-root operation a boundary exit (MTF, SDM 3C 26.5.2) may be due right after
        // the HLT: run() asks the interception before it reports the halt.
        if (this.wakeFromHalt()) this.stopRequested = false;
        return;
      case H.Cpuid: {
        if (this.interception?.cpuid(g[0]!, g[2]!, insn.length)) {
          this.vmExited();
          throw ABORT;
        }
        const out = this.cpuidModel.query(g[0]!, g[2]!);
        for (let i = 0; i < 4; i++) {
          g[CPUID_SLOTS[i]!] = out[i]!;
          g[CPUID_SLOTS[i]! + 1] = 0;
        }
        break;
      }
      case H.Rdtsc:
      case H.Rdtscp:
        // SDM 3C 26.3: without "enable RDTSCP" RDTSCP is #UD, before any other fault.
        if (h === H.Rdtscp && this.interception?.instructionEnabled?.(GatedInstruction.Rdtscp) === false)
          this.fault(VECTOR_UD);
        if (s.cr4 & 4 && this.cpl !== 0) this.fault(VECTOR_GP, 0); // CR4.TSD
        if (this.interception?.rdtsc(h === H.Rdtscp, insn.length)) {
          this.vmExited();
          throw ABORT;
        }
        {
          let lo = s.tsc >>> 0;
          let hi = Math.floor(s.tsc / 4294967296) >>> 0;
          if (this.interception !== null) {
            this.interception.guestTsc(lo, hi, this.tmp64);
            lo = this.tmp64[0]!;
            hi = this.tmp64[1]!;
          }
          g[0] = lo;
          g[1] = 0;
          g[4] = hi;
          g[5] = 0;
          if (h === H.Rdtscp) {
            g[2] = this.readMsrValue(MSR_IA32_TSC_AUX, this.tmp64) ? this.tmp64[0]! : 0;
            g[3] = 0;
          }
        }
        break;
      case H.Rdmsr:
      case H.Wrmsr:
        this.execMsr(insn, h === H.Wrmsr);
        break;
      case H.Ud:
        this.fault(VECTOR_UD);
        break;
      case H.Sse:
        this.execSse(insn);
        break;
      case H.Lgdt:
      case H.Lidt:
      case H.Sgdt:
      case H.Sidt:
        this.descriptorTable(insn, h);
        break;
      case H.Lldt:
      case H.Ltr:
      case H.Sldt:
      case H.Str:
        this.ldtTr(insn, h);
        break;
      case H.Clts:
        if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
        if (this.interception !== null) {
          if (this.interception.movToCr(0, CrAccess.Clts, 0, 0, -1, insn.length)) {
            this.vmExited();
            throw ABORT;
          }
          // SDM 3C 26.3: with TS owned by the host (set in the CR0 guest/host mask) and not
          // exiting, CLTS leaves CR0.TS alone. Ownership shows as a read that ignores TS.
          const ic = this.interception;
          if (((ic.readShadowedCr(0, s.cr0) ^ ic.readShadowedCr(0, s.cr0 ^ CR0_TS)) & CR0_TS) === 0) break;
        }
        s.cr0 &= ~CR0_TS;
        break;
      case H.Lmsw:
      case H.Smsw:
        this.msw(insn, h === H.Lmsw);
        break;
      case H.Invlpg:
        if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
        this.computeEa(insn);
        if (this.interception?.invlpg(this.eaLo, this.eaHi, insn.length)) {
          this.vmExited();
          throw ABORT;
        }
        this.flushTlb();
        break;
      case H.Wbinvd:
      case H.Invd:
        // Caches are not modelled: both are no-ops at CPL 0 (SDM 2 "INVD", "WBINVD").
        if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
        if (
          h === H.Invd
            ? this.interception?.unconditional(UnconditionalExit.Invd, insn.length)
            : this.interception?.conditional(ConditionalExit.Wbinvd, insn.length)
        ) {
          this.vmExited();
          throw ABORT;
        }
        break;
      case H.Xgetbv:
      case H.Xsetbv:
      case H.Rdrand:
      case H.Monitor:
      case H.Mwait:
      case H.Rdpmc:
        this.execSystemExtension(insn, h);
        break;
      case H.Swapgs: {
        if (this.bitness !== 64) this.fault(VECTOR_UD);
        if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
        const k = this.msrSlot(MSR_IA32_KERNEL_GS_BASE);
        const lo = s.segBaseLo[SEG_GS]!;
        const hi = s.segBaseHi[SEG_GS]!;
        s.segBaseLo[SEG_GS] = k[0]!;
        s.segBaseHi[SEG_GS] = k[1]!;
        k[0] = lo;
        k[1] = hi;
        break;
      }
      case H.Pause: {
        const ic = this.interception;
        if (
          ic !== null &&
          (ic.pause !== undefined
            ? ic.pause(this.cpl, s.tsc, insn.length)
            : ic.conditional(ConditionalExit.Pause, insn.length))
        ) {
          this.vmExited();
          throw ABORT;
        }
        break;
      }
      case H.In:
      case H.Out:
        this.execIo(insn, h === H.In);
        break;
      case H.Vmx:
        this.execVmx(insn);
        return;
      case H.FsGsBase: {
        if (this.bitness !== 64 || (s.cr4 & (1 << 16)) === 0) this.fault(VECTOR_UD);
        const name = MNEMONIC_COND[insn.mnemonic]!;
        const seg = name & 1 ? SEG_GS : SEG_FS;
        const size = this.opSize(insn, 0);
        if (name & 2) {
          this.readOp(insn, 0, size);
          // SDM 2 "WRFSBASE/WRGSBASE": a non-canonical base is #GP(0).
          if (size === 8 && !isCanonical(this.vHi, this.canonShift)) this.fault(VECTOR_GP, 0);
          s.segBaseLo[seg] = this.vLo;
          s.segBaseHi[seg] = size === 8 ? this.vHi : 0;
        } else this.writeReg(insn.opRegister[0]!, s.segBaseLo[seg]!, size === 8 ? s.segBaseHi[seg]! : 0);
        break;
      }
      case H.Movbe: {
        // SDM 2 "MOVBE": a load or store with the bytes reversed.
        if ((this.cpuidModel.features & CPU_FEATURE_MOVBE) === 0) this.fault(VECTOR_UD);
        const size = insn.opKind[0] === OperandKind.Register ? this.opSize(insn, 0) : this.opSize(insn, 1);
        this.readOp(insn, 1, size);
        let lo = this.vLo;
        let hi = this.vHi;
        if (size === 2) lo = ((lo & 0xff) << 8) | ((lo >>> 8) & 0xff);
        else if (size === 4) lo = byteSwap32(lo);
        else {
          const t = byteSwap32(lo);
          lo = byteSwap32(hi);
          hi = t;
        }
        this.writeOp(insn, 0, size, lo, size === 8 ? hi : 0);
        break;
      }
      case H.Adcx: {
        // SDM 2 "ADCX"/"ADOX": unsigned add with carry through CF (ADCX) or OF (ADOX) only.
        if ((this.cpuidModel.features & CPU_FEATURE_ADX) === 0) this.fault(VECTOR_UD);
        const size = this.opSize(insn, 0);
        const flagBit = MNEMONIC_COND[insn.mnemonic] === 0 ? FLAG_CF : FLAG_OF;
        const f = s.getFlags();
        const cin = f & flagBit ? 1 : 0;
        this.readOp(insn, 1, size);
        const sLo = this.vLo;
        const sHi = size === 8 ? this.vHi : 0;
        this.readReg(insn.opRegister[0]!);
        const lo = this.vLo + sLo + cin;
        let carry: number;
        let hi = 0;
        if (size === 8) {
          const h = this.vHi + sHi + (lo > 0xffffffff ? 1 : 0);
          hi = h >>> 0;
          carry = h > 0xffffffff ? 1 : 0;
        } else carry = lo > 0xffffffff ? 1 : 0;
        s.setFlags((f & ~flagBit) | (carry ? flagBit : 0));
        this.writeReg(insn.opRegister[0]!, lo >>> 0, hi);
        break;
      }
      case H.Sysenter:
      case H.Sysexit:
        this.sysenterExit(h === H.Sysenter, osz);
        return;
      // ---- ISA completion (cpu-isa): value logic in ops/*.ts, operand and segment plumbing here.
      case H.Bcd: {
        // The decoder rejects these in 64-bit mode (SDM 2: #UD there).
        const k = MNEMONIC_COND[insn.mnemonic]!;
        if (k === 0) daa(s);
        else if (k === 1) das(s);
        else if (k === 2) aaa(s);
        else if (k === 3) aas(s);
        else if (k === 4) {
          if (!aam(s, insn.immediateLo & 0xff)) this.fault(VECTOR_DE);
        } else if (k === 5) aad(s, insn.immediateLo & 0xff);
        else salc(s);
        break;
      }
      case H.Bmi: {
        const op = MNEMONIC_COND[insn.mnemonic]! as BmiOp;
        // SDM 2 2.5 (VEX-encoded GPR instructions): #UD without the CPUID bit, in real and virtual-8086 mode.
        const need = op <= BmiOp.Blsr ? CPU_FEATURE_BMI1 : CPU_FEATURE_BMI2;
        if ((this.cpuidModel.features & need) === 0 || (s.cr0 & CR0_PE_BIT) === 0 || s.getFlags() & FLAG_VM)
          this.fault(VECTOR_UD);
        const size = this.opSize(insn, 0);
        let aLo: number;
        let aHi: number;
        let bLo = 0;
        let bHi = 0;
        if (op === BmiOp.Mulx) {
          aLo = g[4]!;
          aHi = g[5]!;
          this.readOp(insn, 2, size);
          bLo = this.vLo;
          bHi = this.vHi;
        } else {
          this.readOp(insn, 1, size);
          aLo = this.vLo;
          aHi = this.vHi;
          if (insn.opCount > 2) {
            this.readOp(insn, 2, size);
            bLo = this.vLo;
            bHi = this.vHi;
          }
        }
        bmiCompute(s, op, size, aLo, aHi, bLo, bHi);
        if (op === BmiOp.Mulx) {
          // Low half to VEX.vvvv first: with equal destinations the high half wins (SDM 2 "MULX").
          const hiLo = s.out2Lo;
          const hiHi = s.out2Hi;
          this.writeReg(insn.opRegister[1]!, s.outLo, s.outHi);
          this.writeReg(insn.opRegister[0]!, hiLo, hiHi);
        } else this.writeReg(insn.opRegister[0]!, s.outLo, s.outHi);
        break;
      }
      case H.Crc32: {
        if ((this.cpuidModel.features & CPU_FEATURE_SSE42) === 0) this.fault(VECTOR_UD);
        const ssz = this.opSize(insn, 1);
        this.readOp(insn, 1, ssz);
        const lo = this.vLo;
        const hi = this.vHi;
        this.readReg(insn.opRegister[0]!);
        this.writeReg(insn.opRegister[0]!, crc32c(this.vLo, ssz, lo, hi), 0);
        break;
      }
      case H.Pusha:
        this.pusha(osz);
        break;
      case H.Popa:
        this.popa(osz);
        break;
      case H.Bound: {
        // SDM 2 "BOUND": #BR when the signed index lies outside [lower, upper] (both from memory).
        this.readReg(insn.opRegister[0]!);
        const index = osz === 2 ? (this.vLo << 16) >> 16 : this.vLo | 0;
        this.ea(insn);
        const at = this.eaLo;
        this.readMem(at, 0, osz);
        const lower = osz === 2 ? (this.vLo << 16) >> 16 : this.vLo | 0;
        this.readMem((at + osz) >>> 0, 0, osz);
        const upper = osz === 2 ? (this.vLo << 16) >> 16 : this.vLo | 0;
        if (index < lower || index > upper) this.fault(VECTOR_BR);
        break;
      }
      case H.Arpl: {
        // SDM 2 "ARPL": protected mode only; raises the destination RPL to the source's.
        if ((s.cr0 & CR0_PE_BIT) === 0 || s.getFlags() & FLAG_VM) this.fault(VECTOR_UD);
        this.readOp(insn, 1, 2);
        const rpl = this.vLo & 3;
        this.readOp(insn, 0, 2);
        const dst = this.vLo;
        if ((dst & 3) < rpl) {
          this.writeOp(insn, 0, 2, (dst & ~3) | rpl, 0);
          s.setFlags(s.getFlags() | FLAG_ZF);
        } else s.setFlags(s.getFlags() & ~FLAG_ZF);
        break;
      }
      case H.LoadFarPointer: {
        // SDM 2 "LDS/LES/LFS/LGS/LSS": offset then selector; the segment loads (with its checks) before the register.
        this.ea(insn);
        const lo = this.eaLo;
        const hi = this.eaHi;
        this.readMem(lo, hi, osz);
        const offLo = this.vLo;
        const offHi = osz === 8 ? this.vHi : 0;
        const t = lo + osz;
        this.readMem(t >>> 0, this.bitness === 64 ? (hi + (t > 0xffffffff ? 1 : 0)) >>> 0 : 0, 2);
        this.loadSegment(MNEMONIC_COND[insn.mnemonic]!, this.vLo, false);
        this.writeReg(insn.opRegister[0]!, offLo, offHi);
        break;
      }
      case H.LarLsl:
        this.larLsl(insn, MNEMONIC_COND[insn.mnemonic] === 1);
        break;
      case H.VerrVerw:
        this.verrVerw(insn, MNEMONIC_COND[insn.mnemonic] === 1);
        break;
      case H.Invpcid:
        this.invpcid(insn);
        break;
      case H.ClacStac:
        // SDM 2 "CLAC"/"STAC": #UD at CPL > 0, in virtual-8086 mode or without SMAP.
        if ((this.cpuidModel.features & CPU_FEATURE_SMAP) === 0 || this.cpl > 0 || s.getFlags() & FLAG_VM)
          this.fault(VECTOR_UD);
        if (MNEMONIC_COND[insn.mnemonic] === 1) s.flagsValue |= FLAG_AC;
        else s.flagsValue &= ~FLAG_AC;
        break;
      case H.Rdpid:
        // SDM 2 "RDPID": IA32_TSC_AUX into the register (all 64 bits in 64-bit mode).
        if ((this.cpuidModel.features & CPU_FEATURE_RDPID) === 0) this.fault(VECTOR_UD);
        // SDM 3C 26.3: in VMX non-root operation RDPID also needs "enable RDTSCP".
        if (this.interception?.instructionEnabled?.(GatedInstruction.Rdpid) === false) this.fault(VECTOR_UD);
        this.readMsrValue(MSR_IA32_TSC_AUX, this.tmp64);
        this.writeReg(insn.opRegister[0]!, this.tmp64[0]!, this.bitness === 64 ? this.tmp64[1]! : 0);
        break;
      case H.FeatureNop: {
        // CLFLUSHOPT, CLWB, SERIALIZE, WBNOINVD: no caches or pipelines to model, only the CPUID
        // bit (#UD without it); WBNOINVD is privileged and exits like WBINVD (SDM 3C 26.1.3).
        const bit = 1 << MNEMONIC_COND[insn.mnemonic]!;
        if ((this.cpuidModel.features & bit) === 0) this.fault(VECTOR_UD);
        if (bit === CPU_FEATURE_WBNOINVD) {
          if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
          if (this.interception?.conditional(ConditionalExit.Wbinvd, insn.length)) {
            this.vmExited();
            throw ABORT;
          }
        }
        break;
      }
      default:
        // Not implemented (x87, AVX, ...): #UD, so guests see a clean fault and tests see the gap.
        this.fault(VECTOR_UD);
    }
    this.nextIp(insn);
  }

  private bsfBsr(insn: Instruction, reverse: boolean): void {
    const s = this.state;
    const size = this.opSize(insn, 0);
    this.readOp(insn, 1, size);
    const r = bitScan(size, this.vLo, this.vHi, reverse);
    const f = s.getFlags() & ~(FLAG_ZF | FLAG_CF | FLAG_OF | FLAG_SF | FLAG_AF | FLAG_PF);
    if (r < 0) s.setFlags(f | FLAG_ZF);
    else {
      // Undefined flags: Intel leaves CF/OF/SF/AF/PF... we clear them (matching AMD for SF/AF/PF).
      s.setFlags(f);
      this.writeReg(insn.opRegister[0]!, r, 0);
    }
  }

  /** PUSHA/PUSHAD (SDM 2): AX CX DX BX, the original SP, BP SI DI; SP is restored if a push faults. */
  private pusha(osz: number): void {
    const s = this.state;
    const g = s.gpr32;
    const sp = g[8]!;
    const original = osz === 4 ? sp : s.gpr16[16]!;
    try {
      for (let r = 0; r < 8; r++) this.push(osz, r === 4 ? original : osz === 4 ? g[2 * r]! : s.gpr16[4 * r]!, 0);
    } catch (e) {
      g[8] = sp;
      throw e;
    }
  }

  /** POPA/POPAD (SDM 2): DI SI BP (SP skipped) BX DX CX AX, committed only when every pop succeeded. */
  private popa(osz: number): void {
    const s = this.state;
    const g = s.gpr32;
    const sp = g[8]!;
    try {
      for (let r = 7; r >= 0; r--) {
        this.pop(osz);
        POPA_VALUES[r] = this.vLo;
      }
    } catch (e) {
      g[8] = sp;
      throw e;
    }
    for (let r = 0; r < 8; r++) {
      if (r === 4) continue;
      if (osz === 4) g[2 * r] = POPA_VALUES[r]!;
      else s.gpr16[4 * r] = POPA_VALUES[r]!;
    }
  }

  /**
   * Reads the descriptor a LAR/LSL/VERR/VERW selector names (into vLo/vHi) and says whether
   * the instruction may report it: not null, inside its table, and (unless a conforming code
   * segment) DPL >= CPL and DPL >= RPL (SDM 2 "LAR", "LSL", "VERR/VERW").
   */
  private visibleDescriptor(selector: number): boolean {
    if ((selector & ~3) === 0 || !this.readDescriptor(selector)) return false;
    const attr = Cpu.descAttr(this.vHi);
    const dpl = (attr >> 5) & 3;
    if ((attr & AR_S) !== 0 && (attr & 0xc) === 0xc) return true;
    return dpl >= this.cpl && dpl >= (selector & 3);
  }

  /** LAR/LSL: ZF=1 and the access rights or the byte-granular limit when the descriptor is visible and of a valid type. */
  private larLsl(insn: Instruction, lsl: boolean): void {
    const s = this.state;
    if ((s.cr0 & CR0_PE_BIT) === 0 || s.getFlags() & FLAG_VM) this.fault(VECTOR_UD);
    this.readOp(insn, 1, 2);
    const selector = this.vLo & 0xffff;
    let ok = this.visibleDescriptor(selector);
    const lo = this.vLo;
    const hi = this.vHi;
    if (ok && (hi & (1 << 12)) === 0) {
      // System types: LDT and TSSs for both; gates (LAR only) and 16-bit types outside IA-32e mode.
      const type = (hi >>> 8) & 0xf;
      const valid = s.efer & EFER_LMA_BIT ? (lsl ? 0xa04 : 0x1a04) : lsl ? 0xa0e : 0x1a3e;
      ok = ((valid >>> type) & 1) !== 0;
    }
    if (!ok) {
      s.setFlags(s.getFlags() & ~FLAG_ZF);
      return;
    }
    const size = this.opSize(insn, 0);
    // LAR: bits 23:8 of the descriptor's high dword (00FFFF00H; 16-bit: FF00H), as AMD and Bochs load them.
    let value = lsl ? Cpu.descLimit(lo, hi) : (hi & 0x00ffff00) >>> 0;
    if (size === 2) value &= 0xffff;
    this.writeReg(insn.opRegister[0]!, value >>> 0, 0);
    s.setFlags(s.getFlags() | FLAG_ZF);
  }

  /** VERR/VERW: ZF=1 when the segment is readable / writable at the current privilege. */
  private verrVerw(insn: Instruction, write: boolean): void {
    const s = this.state;
    if ((s.cr0 & CR0_PE_BIT) === 0 || s.getFlags() & FLAG_VM) this.fault(VECTOR_UD);
    this.readOp(insn, 0, 2);
    let ok = this.visibleDescriptor(this.vLo & 0xffff);
    if (ok) {
      const attr = Cpu.descAttr(this.vHi);
      const code = (attr & 8) !== 0;
      ok = (attr & AR_S) !== 0 && (write ? !code && (attr & 2) !== 0 : !code || (attr & 2) !== 0);
      // A conforming code segment passed the privilege test; a non-conforming one must pass it too (done above).
    }
    s.setFlags(ok ? s.getFlags() | FLAG_ZF : s.getFlags() & ~FLAG_ZF);
  }

  /** INVPCID (SDM 2): type checks, then a TLB flush (the TLB here is not tagged by PCID, so every type flushes it all). */
  private invpcid(insn: Instruction): void {
    const s = this.state;
    if ((this.cpuidModel.features & CPU_FEATURE_INVPCID) === 0 || s.getFlags() & FLAG_VM) this.fault(VECTOR_UD);
    // SDM 3C 26.3: without "enable INVPCID" INVPCID is #UD, before any other fault.
    if (this.interception?.instructionEnabled?.(GatedInstruction.Invpcid) === false) this.fault(VECTOR_UD);
    if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
    this.readReg(insn.opRegister[0]!);
    const typeHi = this.bitness === 64 ? this.vHi : 0;
    const type = this.vLo;
    const ic = this.interception;
    if (ic !== null) {
      // SDM 3C 26.1.3: the exit ("enable INVPCID" + "INVLPG exiting") comes before the operand checks.
      const o = this.fillVmxOperands(insn, true);
      if (ic.invpcid(type, o.linearLo, o.linearHi, insn.length, o)) {
        this.vmExited();
        throw ABORT;
      }
    }
    if (typeHi !== 0 || type > 3) this.fault(VECTOR_GP, 0);
    this.ea(insn);
    this.readMem(this.eaLo, this.eaHi, 8);
    const pcid = this.vLo & 0xfff;
    // Bits 63:12 of the descriptor are reserved.
    if ((this.vLo & ~0xfff) !== 0 || this.vHi !== 0) this.fault(VECTOR_GP, 0);
    if (type <= 1 && (s.cr4 & CR4_PCIDE) === 0 && pcid !== 0) this.fault(VECTOR_GP, 0);
    if (type === 0) {
      const t = this.eaLo + 8;
      this.readMem(t >>> 0, this.bitness === 64 ? (this.eaHi + (t > 0xffffffff ? 1 : 0)) >>> 0 : 0, 8);
      // The linear address must be canonical (48-bit).
      const top = this.vHi >> 15;
      if (top !== 0 && top !== -1) this.fault(VECTOR_GP, 0);
    }
    this.flushTlb();
  }

  private lockCheck(insn: Instruction): void {
    // SDM 2 "LOCK": #UD if the destination is not memory.
    if (insn.prefixes & PREFIX_LOCK && insn.opKind[0] !== OperandKind.Memory) this.fault(VECTOR_UD);
  }

  /** LEA: the offset only (no segment base), truncated to the address size. */
  private computeLeaOffset(insn: Instruction): void {
    const seg = insn.memSegment;
    const saveBaseLo = this.state.segBaseLo[seg - Register.ES] ?? 0;
    const saveBaseHi = this.state.segBaseHi[seg - Register.ES] ?? 0;
    const k = seg - Register.ES;
    if (k >= 0 && k < 6) {
      this.state.segBaseLo[k] = 0;
      this.state.segBaseHi[k] = 0;
    }
    this.computeEa(insn);
    if (k >= 0 && k < 6) {
      this.state.segBaseLo[k] = saveBaseLo;
      this.state.segBaseHi[k] = saveBaseHi;
    }
  }

  private execMul(insn: Instruction, signed: boolean): void {
    const s = this.state;
    const g = s.gpr32;
    if (insn.opCount === 1) {
      const size = this.opSize(insn, 0);
      this.readOp(insn, 0, size);
      const bLo = this.vLo;
      const bHi = this.vHi;
      const aLo = size === 1 ? s.gpr8[0]! : size === 2 ? s.gpr16[0]! : g[0]!;
      const aHi = size === 8 ? g[1]! : 0;
      aluMul(s, size, signed, aLo, aHi, bLo, size === 8 ? bHi : 0);
      if (size === 1) s.gpr16[0] = (s.out2Lo << 8) | s.outLo;
      else if (size === 2) {
        s.gpr16[0] = s.outLo;
        s.gpr16[8] = s.out2Lo;
      } else {
        g[0] = s.outLo;
        g[1] = s.outHi;
        g[4] = s.out2Lo;
        g[5] = s.out2Hi;
      }
      return;
    }
    const size = this.opSize(insn, 0);
    let aLo: number;
    let aHi: number;
    if (insn.opCount === 3) {
      this.readOp(insn, 1, size);
      aLo = this.vLo;
      aHi = this.vHi;
      this.readOp(insn, 2, size);
    } else {
      this.readOp(insn, 0, size);
      aLo = this.vLo;
      aHi = this.vHi;
      this.readOp(insn, 1, size);
    }
    aluMul(s, size, true, aLo, size === 8 ? aHi : 0, this.vLo, size === 8 ? this.vHi : 0);
    this.writeReg(insn.opRegister[0]!, s.outLo, s.outHi);
  }

  private execDiv(insn: Instruction, signed: boolean): void {
    const s = this.state;
    const g = s.gpr32;
    const size = this.opSize(insn, 0);
    this.readOp(insn, 0, size);
    const dLo = this.vLo;
    const dHi = size === 8 ? this.vHi : 0;
    let ok: boolean;
    if (size === 1) ok = aluDiv(s, 1, signed, s.gpr8[0]!, 0, s.gpr8[1]!, 0, dLo, 0);
    else if (size === 2) ok = aluDiv(s, 2, signed, s.gpr16[0]!, 0, s.gpr16[8]!, 0, dLo, 0);
    else if (size === 4) ok = aluDiv(s, 4, signed, g[0]!, 0, g[4]!, 0, dLo, 0);
    else ok = aluDiv(s, 8, signed, g[0]!, g[1]!, g[4]!, g[5]!, dLo, dHi);
    if (!ok) this.fault(VECTOR_DE);
    if (size === 1) {
      s.gpr8[0] = s.outLo;
      s.gpr8[1] = s.out2Lo;
    } else if (size === 2) {
      s.gpr16[0] = s.outLo;
      s.gpr16[8] = s.out2Lo;
    } else {
      g[0] = s.outLo;
      g[1] = size === 8 ? s.outHi : 0;
      g[4] = s.out2Lo;
      g[5] = size === 8 ? s.out2Hi : 0;
    }
  }

  private execBt(insn: Instruction, op: number): void {
    const s = this.state;
    const size = this.opSize(insn, 0) || insn.memSize;
    this.readOp(insn, 1, size);
    let bit = this.vLo;
    const bits = size * 8;
    if (insn.opKind[0] === OperandKind.Memory && insn.opKind[1] === OperandKind.Register) {
      // SDM 2 "BT": with a register bit offset, memory is addressed as a bit string (signed offset).
      this.ea(insn);
      const sbit =
        size === 8
          ? this.vHi * 4294967296 + this.vLo - (this.vHi >>> 31 ? 2 ** 64 : 0)
          : size === 4
            ? bit | 0
            : (bit << 16) >> 16;
      const byteOff = Math.floor(sbit / bits) * size;
      const t = this.eaLo + byteOff;
      this.eaLo = t >>> 0;
      // The segment check applies to the byte actually addressed (SDM 3A 5.3).
      this.eaOff = (this.eaOff + byteOff) >>> 0;
      this.eaHi = this.bitness === 64 ? (this.eaHi + Math.floor(t / 4294967296)) >>> 0 : 0;
      bit = ((sbit % bits) + bits) % bits;
    } else bit &= bits - 1;
    this.readOp(insn, 0, size);
    let lo = this.vLo;
    let hi = this.vHi;
    const inHi = bit >= 32;
    const m = 1 << (bit & 31);
    const cf = ((inHi ? hi : lo) & m) !== 0 ? 1 : 0;
    // Undefined OF/SF/AF/PF: left unchanged (what Intel processors do).
    s.setFlags((s.getFlags() & ~FLAG_CF) | cf);
    if (op === 0) return;
    // op 1 BTS sets, 2 BTR clears, 3 BTC complements the bit
    if (inHi) hi = (op === 1 ? hi | m : op === 2 ? hi & ~m : hi ^ m) >>> 0;
    else lo = (op === 1 ? lo | m : op === 2 ? lo & ~m : lo ^ m) >>> 0;
    this.writeOp(insn, 0, size, lo, hi);
  }

  private cmpxchg8b(insn: Instruction): void {
    const s = this.state;
    const g = s.gpr32;
    const wide = insn.memSize === 16;
    this.eaAccess(insn, wide ? 16 : 8, true);
    const lo = this.eaLo;
    const hi = this.eaHi;
    if (wide) {
      if ((lo & 15) !== 0) this.fault(VECTOR_GP, 0); // SDM: CMPXCHG16B needs 16-byte alignment
      this.readMem(lo, hi, 8);
      const m0 = this.vLo;
      const m1 = this.vHi;
      const a8 = lo + 8;
      this.readMem(a8 >>> 0, (hi + (a8 > 0xffffffff ? 1 : 0)) >>> 0, 8);
      const m2 = this.vLo;
      const m3 = this.vHi;
      const f = s.getFlags() & ~FLAG_ZF;
      if (m0 === g[0] && m1 === g[1] && m2 === g[4] && m3 === g[5]) {
        this.writeMem(lo, hi, 8, g[6]!, g[7]!);
        this.writeMem(a8 >>> 0, (hi + (a8 > 0xffffffff ? 1 : 0)) >>> 0, 8, g[2]!, g[3]!);
        s.setFlags(f | FLAG_ZF);
      } else {
        this.writeMem(lo, hi, 8, m0, m1);
        g[0] = m0;
        g[1] = m1;
        g[4] = m2;
        g[5] = m3;
        s.setFlags(f);
      }
      return;
    }
    this.readMem(lo, hi, 8);
    const m0 = this.vLo;
    const m1 = this.vHi;
    const f = s.getFlags() & ~FLAG_ZF;
    if (m0 === g[0] && m1 === g[4]) {
      this.writeMem(lo, hi, 8, g[6]!, g[2]!);
      s.setFlags(f | FLAG_ZF);
    } else {
      this.writeMem(lo, hi, 8, m0, m1);
      g[0] = m0;
      g[1] = 0;
      g[4] = m1;
      g[5] = 0;
      s.setFlags(f);
    }
  }

  private enter(insn: Instruction): void {
    const s = this.state;
    const g = s.gpr32;
    const osz = insn.operandSize;
    const alloc = insn.immediateLo & 0xffff;
    const level = insn.immediate2 & 31;
    const ss = this.stackSize();
    this.push(osz, g[10]!, g[11]!);
    const frameLo = g[8]!;
    const frameHi = g[9]!;
    if (level > 0) {
      for (let i = 1; i < level; i++) {
        // push [rBP - i*osz]
        const off = -i * osz;
        const t = g[10]! + off;
        if (ss === 8) this.readMem(t >>> 0, (g[11]! + Math.floor(t / 4294967296)) >>> 0, osz);
        else this.readMem((s.segBaseLo[SEG_SS]! + (ss === 4 ? t >>> 0 : t & 0xffff)) >>> 0, 0, osz);
        this.push(osz, this.vLo, this.vHi);
      }
      this.push(osz, frameLo, frameHi);
    }
    if (osz === 8) {
      g[10] = frameLo;
      g[11] = frameHi;
    } else if (osz === 4) {
      g[10] = frameLo;
      g[11] = 0;
    } else s.gpr16[20] = frameLo & 0xffff;
    this.addSp(-alloc);
  }

  private writeFlagsFromPop(value: number, osz: number): void {
    const s = this.state;
    const old = s.getFlags();
    // SDM 2 "POPF": which bits change depends on CPL and IOPL; VM/RF/VIP/VIF stay.
    let mask =
      FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_TF | FLAG_DF | FLAG_OF | FLAG_NT | FLAG_AC | FLAG_ID;
    const iopl = (old & FLAG_IOPL) >>> 12;
    if (old & FLAG_VM) {
      const access = v86FlagsAccess(old, s.cr4, osz);
      if (access === FlagAccess.Fault) this.fault(VECTOR_GP, 0);
      if (access === FlagAccess.Virtual) {
        // SDM 3A 20.3.2: POPF under VME loads VIF from the popped IF, unless TF or IF-with-VIP.
        if (virtualPopFaults(old, value)) this.fault(VECTOR_GP, 0);
        s.setFlags(virtualPop(old, value));
        return;
      }
      mask |= FLAG_IF;
    } else {
      if (this.cpl === 0) mask |= FLAG_IOPL;
      if (this.cpl <= iopl) mask |= FLAG_IF;
    }
    if (osz === 2) mask &= 0xffff;
    s.setFlags((old & ~mask) | (value & mask));
  }

  /**
   * INT n in virtual-8086 mode (SDM 3A 20.3.3, Table 20-2): #GP(0) to the monitor, a redirection
   * to the 8086 handler in the IVT at linear 0 (true), or false to go through the IDT as usual.
   * The TSS interrupt-redirection bitmap is the 32 bytes below the I/O map base.
   */
  private v86Int(insn: Instruction, vector: number): boolean {
    const s = this.state;
    const f = s.getFlags();
    let notRedirected = true;
    if (s.cr4 & CR4_VME) {
      const base = s.segBaseLo[SEG_TR]!;
      const at = this.systemRead(base + 0x66, 2) - 32 + (vector >>> 3);
      if (at < 0 || at > s.segLimit[SEG_TR]!) this.fault(VECTOR_GP, 0);
      notRedirected = ((this.systemRead(base + at, 1) >>> (vector & 7)) & 1) !== 0;
    }
    const route = v86SoftwareInt(f, s.cr4, notRedirected);
    if (route === V86Int.Idt) return false;
    if (route === V86Int.Fault) this.fault(VECTOR_GP, 0);
    // The interrupt hook sees a redirected INT n as it sees every other one: once, before
    // delivery, with RIP past the instruction (CpuHooks.interrupt); true means handled.
    const ipLo = s.ripLo;
    const spLo = s.gpr32[8]!;
    this.nextIp(insn);
    if (this.hooks.interrupt !== undefined && this.hooks.interrupt(this, vector, -1, true) === true) return true;
    try {
      // As real-mode INT n, on the virtual-8086 stack; the IVT read is a CPL-3 access.
      this.readMem(vector * 4, 0, 4);
      const target = this.vLo;
      const fl = s.getFlags();
      const image = route === V86Int.Redirect ? fl & 0xffff : virtualFlagsImage(fl);
      this.push(2, image, 0);
      this.push(2, s.segSelector[SEG_CS]!, 0);
      this.push(2, s.ripLo & 0xffff, 0);
      s.setFlags(route === V86Int.Redirect ? fl & ~(FLAG_IF | FLAG_TF) : fl & ~(FLAG_VIF | FLAG_TF));
      this.loadSegment(SEG_CS, target >>> 16, true);
      s.ripLo = target & 0xffff;
    } catch (e) {
      // A #PF or segment fault on the IVT read or a push: the INT restarts with IP and SP as they were.
      if (e === FAULT) {
        s.ripLo = ipLo;
        s.gpr32[8] = spLo;
      }
      throw e;
    }
    return true;
  }

  private cliSti(sti: boolean): void {
    const s = this.state;
    const f = s.getFlags();
    // SDM 2 "CLI"/"STI": IOPL-sensitive; with CR4.VME (v8086) or CR4.PVI (CPL 3) they work on VIF.
    const access = cliStiAccess((s.cr0 & CR0_PE_BIT) !== 0, f, s.cr4, this.cpl);
    if (access === FlagAccess.Fault) this.fault(VECTOR_GP, 0);
    if (access === FlagAccess.Virtual) {
      if (!sti) s.flagsValue &= ~FLAG_VIF;
      else if (f & FLAG_VIP) this.fault(VECTOR_GP, 0);
      else s.flagsValue |= FLAG_VIF;
      return;
    }
    if (sti) {
      if ((f & FLAG_IF) === 0) this.beginShadow(BLOCKING_STI); // SDM: interrupts stay blocked for one instruction
      s.flagsValue |= FLAG_IF;
    } else s.flagsValue &= ~FLAG_IF;
  }

  // ------------------------------------------------------------------ strings

  private execString(insn: Instruction): void {
    const s = this.state;
    const g = s.gpr32;
    const kind = MNEMONIC_COND[insn.mnemonic]!; // 0 MOVS 1 STOS 2 LODS 3 CMPS 4 SCAS 5 INS 6 OUTS
    const size = kind === 3 || kind === 4 || kind === 0 ? insn.memSize : insn.memSize;
    const asz = insn.addressSize;
    const rep = (insn.prefixes & (PREFIX_REP | PREFIX_REPNE)) !== 0;
    const repne = insn.lastRepPrefix === 0xf2;
    const step = s.flagsValue & FLAG_DF ? -size : size;
    const srcSeg = insn.memSegment - Register.ES;
    if (rep && countIsZero(s, asz)) return;
    if (kind === 5 || kind === 6) this.ioPermission(s.gpr16[8 + 0]!, size, insn);
    // A bounded batch of iterations per execute() keeps the instruction interruptible and
    // restartable (SDM 1 7.3.9.2): RIP only advances when the count reaches zero.
    // In VMX non-root operation with a boundary exit armed (MTF, SDM 3C 26.5.2: the exit follows
    // each iteration; windows, preemption timer) one iteration is one step.
    // While single-stepping or watching data breakpoints the same holds (SDM 3B 17.3.1.4: the
    // single-step trap follows each iteration; 17.3.1.2: a data breakpoint traps after the
    // iteration that hit it), with RIP still on the instruction until the count runs out.
    const stepEach = (s.flagsValue & FLAG_TF) !== 0 || this.dataWatch;
    let budget = rep ? (stepEach || this.interception?.windowsArmed ? 1 : 4096) : 1;
    for (;;) {
      // Only the operands the instruction uses are checked (SDM 3A 5.3): STOS has no source.
      const siLo = kind === 1 || kind === 4 || kind === 5 ? 0 : this.strAddr(srcSeg, 6, asz, size, false);
      const siHi = this.eaHi;
      const diLo = kind === 2 || kind === 6 ? 0 : this.strAddr(SEG_ES, 7, asz, size, kind <= 1 || kind === 5);
      const diHi = this.eaHi;
      let stopCmp = false;
      switch (kind) {
        case 0:
          this.readMem(siLo, siHi, size);
          this.writeMem(diLo, diHi, size, this.vLo, this.vHi);
          this.advance(6, step, asz);
          this.advance(7, step, asz);
          break;
        case 1:
          this.writeMem(diLo, diHi, size, g[0]!, g[1]!);
          this.advance(7, step, asz);
          break;
        case 2:
          this.readMem(siLo, siHi, size);
          if (size === 1) s.gpr8[0] = this.vLo;
          else if (size === 2) s.gpr16[0] = this.vLo;
          else {
            g[0] = this.vLo;
            g[1] = size === 8 ? this.vHi : 0;
          }
          this.advance(6, step, asz);
          break;
        case 3: {
          this.readMem(siLo, siHi, size);
          const aLo = this.vLo;
          const aHi = this.vHi;
          this.readMem(diLo, diHi, size);
          aluSub(s, size, aLo, size === 8 ? aHi : 0, this.vLo, size === 8 ? this.vHi : 0, 0);
          this.advance(6, step, asz);
          this.advance(7, step, asz);
          stopCmp = true;
          break;
        }
        case 4: {
          this.readMem(diLo, diHi, size);
          const aLo = size === 1 ? s.gpr8[0]! : size === 2 ? s.gpr16[0]! : g[0]!;
          aluSub(s, size, aLo, size === 8 ? g[1]! : 0, this.vLo, size === 8 ? this.vHi : 0, 0);
          this.advance(7, step, asz);
          stopCmp = true;
          break;
        }
        case 5: {
          const v = this.portRead(s.gpr16[8 + 0]!, size);
          this.writeMem(diLo, diHi, size, v, 0);
          this.advance(7, step, asz);
          break;
        }
        case 6:
          this.readMem(siLo, siHi, size);
          this.portWrite(s.gpr16[8]!, size, this.vLo);
          this.advance(6, step, asz);
          break;
      }
      if (!rep) break;
      // decrement rCX
      if (asz === 8) {
        const t = g[2]! - 1;
        g[2] = t >>> 0;
        if (t < 0) g[3] = (g[3]! - 1) >>> 0;
      } else if (asz === 4) {
        g[2] = (g[2]! - 1) >>> 0;
        g[3] = 0;
      } else s.gpr16[4] = (s.gpr16[4]! - 1) & 0xffff; // CX
      if (countIsZero(s, asz)) break;
      if (stopCmp) {
        const zf = (s.getFlags() & FLAG_ZF) !== 0;
        if (repne ? zf : !zf) break;
      }
      if (--budget === 0) {
        // Not done: leave RIP on the instruction (it re-executes, and an interrupt can come in between).
        // In VMX non-root operation with a boundary exit armed the single iteration counts as a
        // step, so the MTF exit follows it (SDM 3C 26.5.2) and the preemption timer moves.
        if (stepEach || this.interception?.windowsArmed) {
          this.retired++;
          s.tsc++;
        }
        // The continuation is the same instruction, not a new one: RF keeps an instruction
        // breakpoint on it from firing again (the processor sets RF in the EFLAGS image of an
        // interrupted string instruction, SDM 3B 17.3.1.1). The iteration's debug traps (BS,
        // B0-B3) are taken now: runInner does not see this step.
        if (s.dr[14]! & DR7_ENABLES) s.flagsValue |= FLAG_RF;
        if (stepEach) this.debugAfter((s.flagsValue & FLAG_TF) !== 0, false);
        throw ABORT_STRING;
      }
    }
  }

  /**
   * Linear address of rSI/rDI (`reg` 6/7) in segment `seg`, hi half in eaHi, after the segment
   * (or canonical) check of a `size`-byte access.
   */
  private strAddr(seg: number, reg: number, asz: number, size: number, write: boolean): number {
    const s = this.state;
    const g = s.gpr32;
    let lo = asz === 2 ? s.gpr16[4 * reg]! : g[2 * reg]!;
    let hi = asz === 8 ? g[2 * reg + 1]! : 0;
    if (this.bitness === 64) {
      if (seg === SEG_FS || seg === SEG_GS) {
        const t = lo + s.segBaseLo[seg]!;
        lo = t >>> 0;
        hi = (hi + s.segBaseHi[seg]! + (t > 0xffffffff ? 1 : 0)) >>> 0;
      }
      if (!isCanonical(hi, this.canonShift)) this.fault(seg === SEG_SS ? VECTOR_SS : VECTOR_GP, 0);
    } else {
      if ((this.segOk[seg]! & (write ? SEG_OK_WRITE : SEG_OK_READ)) === 0) this.segmentCheck(seg, lo, size, write);
      lo = (lo + s.segBaseLo[seg]!) >>> 0;
      hi = 0;
    }
    this.eaHi = hi;
    return lo;
  }

  private advance(reg: number, step: number, asz: number): void {
    const s = this.state;
    const g = s.gpr32;
    if (asz === 8) {
      const t = g[2 * reg]! + step;
      g[2 * reg] = t >>> 0;
      if (t > 0xffffffff) g[2 * reg + 1] = (g[2 * reg + 1]! + 1) >>> 0;
      else if (t < 0) g[2 * reg + 1] = (g[2 * reg + 1]! - 1) >>> 0;
    } else if (asz === 4) {
      g[2 * reg] = (g[2 * reg]! + step) >>> 0;
      g[2 * reg + 1] = 0;
    } else s.gpr16[4 * reg] = (s.gpr16[4 * reg]! + step) & 0xffff;
  }

  // ------------------------------------------------------------------ I/O

  private ioPermission(port: number, size: number, insn: Instruction): void {
    const s = this.state;
    const f = s.getFlags();
    const iopl = (f & FLAG_IOPL) >>> 12;
    // SDM 1 19.5.2: in protected mode with CPL > IOPL, or in v8086 mode, consult the TSS I/O bitmap.
    if (s.cr0 & CR0_PE_BIT && (this.cpl > iopl || f & FLAG_VM)) {
      if (!this.ioBitmapAllows(port, size)) this.fault(VECTOR_GP, 0);
    }
    if (this.interception !== null) {
      const string = MNEMONIC_HANDLER[insn.mnemonic] === H.String;
      if (
        this.interception.io(
          port,
          size as 1 | 2 | 4,
          MNEMONIC_HANDLER[insn.mnemonic] === H.In || (string && MNEMONIC_COND[insn.mnemonic] === 5),
          string,
          (insn.prefixes & PREFIX_REP) !== 0,
          insn.opKind[0] === OperandKind.Immediate || insn.opKind[1] === OperandKind.Immediate,
          insn.length,
        )
      ) {
        this.vmExited();
        throw ABORT;
      }
    }
  }

  private ioBitmapAllows(port: number, size: number): boolean {
    const s = this.state;
    const trAttr = s.segAttr[SEG_TR]!;
    const type = trAttr & 0xf;
    if ((type !== 0xb && type !== 0x9) || s.segLimit[SEG_TR]! < 0x67) return false;
    const base = s.segBaseLo[SEG_TR]!;
    const baseHi = s.segBaseHi[SEG_TR]!;
    this.readSystem(base + 0x66, baseHi, 2);
    const off = this.vLo + (port >>> 3);
    if (off + 1 > s.segLimit[SEG_TR]!) return false;
    this.readSystem(base + off, baseHi, 2);
    const bits = this.vLo >>> (port & 7);
    return (bits & ((1 << size) - 1)) === 0;
  }

  private readSystem(lo: number, hi: number, size: number): void {
    const save = this.cpl;
    this.cpl = 0; // implicit supervisor access
    try {
      this.readMem(lo >>> 0, hi, size);
    } finally {
      this.cpl = save;
      if (save === 3) this.dropSupervisorFill(lo >>> 0, size);
    }
  }

  private portRead(port: number, size: number): number {
    // SDM 3B 17.2.4: R/W = 10 watches I/O ports when CR4.DE is set.
    if (this.dataWatch && this.state.cr4 & CR4_DE) this.dataHits |= ioBreakpointHits(this.state.dr, port, size);
    const v =
      this.ports !== null
        ? this.ports.readPort(port, size as 1 | 2 | 4) >>> 0
        : size === 4
          ? 0xffffffff
          : (1 << (size * 8)) - 1;
    if (this.hooks.port !== undefined) this.hooks.port(this, port, size, false, v);
    return v;
  }

  private portWrite(port: number, size: number, value: number): void {
    if (this.dataWatch && this.state.cr4 & CR4_DE) this.dataHits |= ioBreakpointHits(this.state.dr, port, size);
    if (this.hooks.port !== undefined) this.hooks.port(this, port, size, true, value);
    if (this.ports !== null) this.ports.writePort(port, size as 1 | 2 | 4, value);
  }

  private execIo(insn: Instruction, isIn: boolean): void {
    const s = this.state;
    const size = this.opSize(insn, isIn ? 0 : 1);
    let port: number;
    const pk = isIn ? 1 : 0;
    if (insn.opKind[pk] === OperandKind.Immediate) port = insn.immediateLo & 0xff;
    else port = s.gpr16[8]!;
    this.ioPermission(port, size, insn);
    if (isIn) {
      const v = this.portRead(port, size);
      this.writeReg(insn.opRegister[0]!, v, 0);
    } else {
      this.readReg(insn.opRegister[1]!);
      this.portWrite(port, size, this.vLo);
    }
  }

  // ------------------------------------------------------------------ MSRs

  private msrSlot(index: number): Uint32Array {
    let v = this.state.msrs.get(index);
    if (v === undefined) {
      v = new Uint32Array(2);
      this.state.msrs.set(index, v);
    }
    return v;
  }

  /** RDMSR semantics; false = #GP. */
  readMsrValue(index: number, out: Uint32Array): boolean {
    const s = this.state;
    const hook = this.hooks.msr;
    if (hook !== undefined) {
      const handled = hook.read(index, out);
      if (handled !== undefined) return handled;
    }
    switch (index) {
      case MSR_IA32_EFER:
        out[0] = s.efer;
        out[1] = 0;
        return true;
      case MSR_IA32_FS_BASE:
      case MSR_IA32_GS_BASE: {
        const k = index === MSR_IA32_FS_BASE ? SEG_FS : SEG_GS;
        out[0] = s.segBaseLo[k]!;
        out[1] = s.segBaseHi[k]!;
        return true;
      }
      case MSR_IA32_TSC:
        out[0] = s.tsc >>> 0;
        out[1] = Math.floor(s.tsc / 4294967296);
        return true;
      case MSR_IA32_APIC_BASE:
        if (!s.msrs.has(index)) {
          out[0] = 0xfee00900;
          out[1] = 0;
          return true;
        }
        break;
      case MSR_IA32_PAT:
        if (!s.msrs.has(index)) {
          out[0] = 0x00070406;
          out[1] = 0x00070406;
          return true;
        }
        break;
    }
    const v = s.msrs.get(index);
    if (v === undefined) {
      if (KNOWN_MSRS.has(index)) {
        out[0] = 0;
        out[1] = 0;
        return true;
      }
      return false;
    }
    out[0] = v[0]!;
    out[1] = v[1]!;
    return true;
  }

  /** WRMSR semantics; false = #GP. */
  writeMsrValue(index: number, lo: number, hi: number): boolean {
    const s = this.state;
    const hook = this.hooks.msr;
    if (hook !== undefined) {
      const handled = hook.write(index, lo >>> 0, hi >>> 0);
      if (handled !== undefined) return handled;
    }
    switch (index) {
      case MSR_IA32_EFER: {
        // SDM 3A 2.2.1: LMA is read-only; LME cannot change while paging is on.
        if (hi !== 0 || lo & ~(EFER_SCE | EFER_LME_BIT | EFER_LMA_BIT | EFER_NXE_BIT)) return false;
        if (s.cr0 & CR0_PG_BIT && (lo ^ s.efer) & EFER_LME_BIT) return false;
        s.efer = (lo & ~EFER_LMA_BIT) | (s.efer & EFER_LMA_BIT);
        this.stateChanged();
        return true;
      }
      case MSR_IA32_FS_BASE:
      case MSR_IA32_GS_BASE: {
        // SDM 2 "WRMSR": base and entry-point MSRs take canonical addresses only.
        if (!isCanonical(hi, this.canonShift)) return false;
        const k = index === MSR_IA32_FS_BASE ? SEG_FS : SEG_GS;
        s.segBaseLo[k] = lo;
        s.segBaseHi[k] = hi;
        return true;
      }
      case MSR_IA32_TSC:
        s.tsc = hi * 4294967296 + lo;
        return true;
    }
    if (!KNOWN_MSRS.has(index) && !s.msrs.has(index)) return false;
    if (CANONICAL_MSRS.has(index) && !isCanonical(hi, this.canonShift)) return false;
    const v = this.msrSlot(index);
    v[0] = lo;
    v[1] = hi;
    return true;
  }

  private execMsr(insn: Instruction, write: boolean): void {
    const s = this.state;
    const g = s.gpr32;
    if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
    const index = g[2]!;
    const ic = this.interception;
    if (ic !== null && (write ? ic.wrmsr(index, g[0]!, g[4]!, insn.length) : ic.rdmsr(index, insn.length))) {
      this.vmExited();
      throw ABORT;
    }
    if (write) {
      if (!this.writeMsrValue(index, g[0]!, g[4]!)) this.fault(VECTOR_GP, 0);
    } else {
      if (!this.readMsrValue(index, this.tmp64)) this.fault(VECTOR_GP, 0);
      let lo = this.tmp64[0]!;
      let hi = this.tmp64[1]!;
      if (index === MSR_IA32_TSC && ic !== null) {
        ic.guestTsc(lo, hi, this.tmp64);
        lo = this.tmp64[0]!;
        hi = this.tmp64[1]!;
      }
      g[0] = lo;
      g[1] = 0;
      g[4] = hi;
      g[5] = 0;
    }
  }

  // ------------------------------------------------------------------ segments and system registers

  /** Sets a segment register's selector and hidden part directly (VMCS access-rights format). */
  setSegmentRaw(seg: number, selector: number, base: number, limit: number, attr: number, baseHi = 0): void {
    const s = this.state;
    s.segSelector[seg] = selector;
    s.segBaseLo[seg] = base >>> 0;
    s.segBaseHi[seg] = baseHi >>> 0;
    s.segLimit[seg] = limit >>> 0;
    s.segAttr[seg] = attr;
    if (seg === SEG_CS) this.stateChanged();
    else this.refreshSegments();
  }

  /** Reads the 8-byte descriptor for `selector` from the GDT/LDT into vLo/vHi; returns false if beyond the limit. */
  private readDescriptor(selector: number): boolean {
    const s = this.state;
    const index = selector & ~7;
    let baseLo: number;
    let baseHi: number;
    let limit: number;
    if (selector & 4) {
      baseLo = s.segBaseLo[SEG_LDTR]!;
      baseHi = s.segBaseHi[SEG_LDTR]!;
      limit = s.segLimit[SEG_LDTR]!;
    } else {
      baseLo = s.gdtrBaseLo;
      baseHi = s.gdtrBaseHi;
      limit = s.gdtrLimit;
    }
    if (index + 7 > limit) return false;
    const t = baseLo + index;
    this.readSystem(t >>> 0, (baseHi + (t > 0xffffffff ? 1 : 0)) >>> 0, 8);
    return true;
  }

  private static descBase(lo: number, hi: number): number {
    return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  }

  private static descLimit(lo: number, hi: number): number {
    const raw = (lo & 0xffff) | (hi & 0xf0000);
    return hi & (1 << 23) ? ((raw << 12) | 0xfff) >>> 0 : raw;
  }

  private static descAttr(hi: number): number {
    return ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
  }

  /**
   * MOV/POP to a segment register (SDM 2 "MOV"): real/v8086 mode sets base = selector*16;
   * protected mode loads the descriptor with the privilege and type checks.
   */
  private loadSegment(seg: number, selector: number, _far: boolean): void {
    const s = this.state;
    if ((s.cr0 & CR0_PE_BIT) === 0 || s.getFlags() & FLAG_VM) {
      s.segSelector[seg] = selector;
      s.segBaseLo[seg] = selector << 4;
      s.segBaseHi[seg] = 0;
      if (s.getFlags() & FLAG_VM) {
        s.segLimit[seg] = 0xffff;
        s.segAttr[seg] = seg === SEG_CS ? 0xfb : 0xf3;
      }
      if (seg === SEG_CS) this.stateChanged();
      else this.refreshSegments();
      return;
    }
    const rpl = selector & 3;
    if ((selector & ~3) === 0) {
      // Null selector: #GP for SS (except 64-bit mode at CPL<3), unusable otherwise.
      if (seg === SEG_SS && !(this.bitness === 64 && this.cpl !== 3 && rpl === this.cpl)) this.fault(VECTOR_GP, 0);
      s.segSelector[seg] = selector;
      s.segAttr[seg] = 0x10000;
      this.refreshSegments();
      return;
    }
    if (!this.readDescriptor(selector)) this.fault(VECTOR_GP, selector & ~3);
    const lo = this.vLo;
    const hi = this.vHi;
    const attr = Cpu.descAttr(hi);
    const dpl = (attr >> 5) & 3;
    if (seg === SEG_SS) {
      // SDM: SS needs a writable data segment with RPL = DPL = CPL.
      if (!(attr & AR_S) || attr & 8 || !(attr & 2) || rpl !== this.cpl || dpl !== this.cpl)
        this.fault(VECTOR_GP, selector & ~3);
      if (!(attr & AR_P)) this.fault(VECTOR_SS, selector & ~3);
    } else {
      if (!(attr & AR_S) || (attr & 0xa) === 0x8) this.fault(VECTOR_GP, selector & ~3);
      const conforming = (attr & 0xc) === 0xc;
      if (!conforming && (rpl > dpl || this.cpl > dpl)) this.fault(VECTOR_GP, selector & ~3);
      if (!(attr & AR_P)) this.fault(VECTOR_NP, selector & ~3);
    }
    this.setAccessed(selector, hi);
    s.segSelector[seg] = selector;
    s.segBaseLo[seg] = Cpu.descBase(lo, hi);
    s.segBaseHi[seg] = 0;
    s.segLimit[seg] = Cpu.descLimit(lo, hi);
    s.segAttr[seg] = attr | 1;
    this.refreshSegments();
  }

  private setAccessed(selector: number, hi: number): void {
    if (hi & (1 << 8)) return;
    const s = this.state;
    const base = selector & 4 ? s.segBaseLo[SEG_LDTR]! : s.gdtrBaseLo;
    const baseHi = selector & 4 ? s.segBaseHi[SEG_LDTR]! : s.gdtrBaseHi;
    const save = this.cpl;
    this.cpl = 0;
    try {
      this.writeMem((base + (selector & ~7) + 5) >>> 0, baseHi, 1, ((hi >>> 8) & 0xff) | 1, 0);
    } finally {
      this.cpl = save;
      if (save === 3) this.dropSupervisorFill((base + (selector & ~7) + 5) >>> 0, 1);
    }
  }

  /** Loads CS from a code-segment descriptor for a far transfer (no gates: call gates via {@link farCall}). */
  private loadCs(selector: number, lo: number, hi: number, newCpl: number): void {
    const s = this.state;
    this.setAccessed(selector, hi);
    s.segSelector[SEG_CS] = (selector & ~3) | newCpl;
    s.segBaseLo[SEG_CS] = Cpu.descBase(lo, hi);
    s.segBaseHi[SEG_CS] = 0;
    s.segLimit[SEG_CS] = Cpu.descLimit(lo, hi);
    s.segAttr[SEG_CS] = Cpu.descAttr(hi) | 1;
    const oldCpl = this.cpl;
    this.updateMode();
    if (this.cpl !== oldCpl) this.flushTlb();
  }

  private updateMode(): void {
    const s = this.state;
    const csAttr = s.segAttr[SEG_CS]!;
    const wasUser = this.cpl === 3;
    if ((s.cr0 & CR0_PE_BIT) === 0) {
      this.bitness = 16;
      this.cpl = 0;
    } else if (s.flagsValue & FLAG_VM) {
      this.bitness = 16;
      this.cpl = 3;
    } else {
      this.bitness = s.efer & EFER_LMA_BIT && csAttr & AR_L ? 64 : csAttr & AR_DB ? 32 : 16;
      this.cpl = s.segSelector[SEG_CS]! & 3;
    }
    if (wasUser !== (this.cpl === 3)) this.flushTlb();
    this.curCache = null;
    this.curPageTag = -1;
    this.refreshSegments();
  }

  /**
   * Far JMP (`isCall` false) or far CALL to `selector:offset`: real/v8086 mode loads CS as a
   * paragraph; protected mode checks the code-segment descriptor (SDM 3A 5.8.1) or goes
   * through a call gate. A far CALL pushes the return CS:IP before CS changes.
   */
  private farTransfer(selector: number, offLo: number, offHi: number, osz: number, isCall: boolean): void {
    const s = this.state;
    if ((s.cr0 & CR0_PE_BIT) === 0 || s.flagsValue & FLAG_VM) {
      // Real mode keeps the cached CS limit across the load (SDM 3A 20.1.1).
      if ((osz === 2 ? offLo & 0xffff : offLo >>> 0) > s.segLimit[SEG_CS]!) this.fault(VECTOR_GP, 0);
      if (isCall) {
        this.push(osz, s.segSelector[SEG_CS]!, 0);
        this.push(osz, s.ripLo, 0);
      }
      this.loadSegment(SEG_CS, selector, true);
      s.ripLo = osz === 2 ? offLo & 0xffff : offLo >>> 0;
      s.ripHi = 0;
      this.updateMode();
      return;
    }
    if ((selector & ~3) === 0) this.fault(VECTOR_GP, 0);
    if (!this.readDescriptor(selector)) this.fault(VECTOR_GP, selector & ~3);
    const lo = this.vLo;
    const hi = this.vHi;
    const attr = Cpu.descAttr(hi);
    const sysType = attr & 0xf;
    if (!(attr & AR_S) && !(s.efer & EFER_LMA_BIT) && (sysType === 5 || (sysType & 5) === 1)) {
      this.farTask(selector, attr, lo >>> 16, isCall);
      return;
    }
    if (!(attr & AR_S)) {
      this.throughCallGate(selector, lo, hi, isCall, osz);
      return;
    }
    if (!(attr & 8)) this.fault(VECTOR_GP, selector & ~3);
    const dpl = (attr >> 5) & 3;
    const conforming = (attr & 4) !== 0;
    if (conforming ? dpl > this.cpl : (selector & 3) > this.cpl || dpl !== this.cpl)
      this.fault(VECTOR_GP, selector & ~3);
    if (!(attr & AR_P)) this.fault(VECTOR_NP, selector & ~3);
    this.checkNewCsOffset(offLo, offHi, this.bitness === 64 ? 8 : osz, lo, hi);
    if (isCall) {
      this.push(osz, s.segSelector[SEG_CS]!, 0);
      this.push(osz, s.ripLo, s.ripHi);
    }
    this.loadCs(selector, lo, hi, this.cpl);
    this.jumpTo(offLo, offHi, this.bitness === 64 ? 8 : osz);
  }

  /**
   * #GP(0) when a far transfer's target offset lies outside the new code segment (descriptor
   * `lo`/`hi`): its limit outside 64-bit code, canonical form in 64-bit code (SDM 2 "JMP",
   * "CALL", "RET", "IRET"). Checked before anything is pushed or loaded.
   */
  private checkNewCsOffset(offLo: number, offHi: number, osz: number, lo: number, hi: number): void {
    if (this.state.efer & EFER_LMA_BIT && hi & (1 << 21)) {
      if (osz === 8 && !isCanonical(offHi, this.canonShift)) this.fault(VECTOR_GP, 0);
    } else if ((osz === 2 ? offLo & 0xffff : offLo >>> 0) > Cpu.descLimit(lo, hi)) this.fault(VECTOR_GP, 0);
  }

  /**
   * Far JMP/CALL to a TSS descriptor or a task gate outside IA-32e mode (SDM 2 "JMP"/"CALL"
   * TASK-GATE and TASK-STATE-SEGMENT; IA-32e mode never gets here: only call gates are valid).
   * The DPL of the gate, or of a directly named TSS, must be >= CPL and >= RPL.
   */
  private farTask(selector: number, attr: number, gateTss: number, isCall: boolean): void {
    const dpl = (attr >> 5) & 3;
    if (dpl < this.cpl || dpl < (selector & 3)) this.fault(VECTOR_GP, selector & ~3);
    let tss = selector;
    if ((attr & 0xf) === 5) {
      if (!(attr & AR_P)) this.fault(VECTOR_NP, selector & ~3);
      tss = gateTss;
    }
    const source = isCall ? TaskSwitchSource.Call : TaskSwitchSource.Jmp;
    if (!switchTask(this, tss, source, 0, -1, this.farInsnLength)) throw ABORT;
  }

  /** @internal Supervisor read of `size` bytes at linear `lo` (task switches). */
  systemRead(lo: number, size: 1 | 2 | 4): number {
    this.readSystem(lo >>> 0, 0, size);
    return this.vLo;
  }

  /** @internal Supervisor write of `size` bytes at linear `lo` (task switches). */
  systemWrite(lo: number, size: 1 | 2 | 4, value: number): void {
    const save = this.cpl;
    this.cpl = 0;
    try {
      this.writeMem(lo >>> 0, 0, size, value >>> 0, 0);
    } finally {
      this.cpl = save;
      if (save === 3) this.dropSupervisorFill(lo >>> 0, size);
    }
  }

  /** @internal The #DB trap of a task switch into a TSS with T set (DR6.BT, SDM 3B 17.2.3). */
  taskDebugTrap(): never {
    this.pendingDr6 = DR6_BT;
    this.fault(VECTOR_DB);
  }

  /**
   * @internal A task switch reached its commit point: faults from here on are the new task's.
   * (Event delivery that snapshots state for an all-or-nothing rollback must re-take it here.)
   */
  taskCommitted(): void {
    // A fault after the commit is delivered in the new task: roll back to its state, not the old one's.
    if (this.deliveryDepth > 0) this.takeDeliverySnapshot(0);
  }

  /** @internal Pushes `size` bytes (an error code onto a new task's stack). */
  pushValue(size: 2 | 4, value: number): void {
    this.push(size, value, 0);
  }

  /** @internal Offers a task switch to the VMX interception (exit reason 9); true = go on, false = a VM exit happened. */
  taskSwitchExit(selector: number, source: TaskSwitchSource, instructionLength: number): boolean {
    // (Typed so that it builds whether or not the interface declares taskSwitch yet: vmx adds it.)
    const ic = this.interception as { taskSwitch?(sel: number, src: number, len: number): boolean } | null;
    if (ic?.taskSwitch === undefined) return true;
    // SDM 3C 28.2: the exit saves RIP on the CALL/JMP/IRET (their paths advanced it already);
    // a task gate in the IDT reaches here with the event's own state (length 0).
    const s = this.state;
    const ripLo = s.ripLo;
    const ripHi = s.ripHi;
    if (source !== TaskSwitchSource.IdtGate) s.ripLo = (ripLo - instructionLength) >>> 0;
    if (!ic.taskSwitch(selector, source, instructionLength)) {
      s.ripLo = ripLo;
      s.ripHi = ripHi;
      return true;
    }
    this.vmExited();
    return false;
  }

  /** Far CALL/JMP through a call gate (SDM 3A 5.8.4-5.8.6), including the inner-privilege stack switch. */
  private throughCallGate(gateSel: number, gLo: number, gHi: number, isCall: boolean, osz: number): void {
    const s = this.state;
    const type = (gHi >>> 8) & 0xf;
    const long = (s.efer & EFER_LMA_BIT) !== 0;
    if (type !== 0xc && type !== 0x4) this.fault(VECTOR_GP, gateSel & ~3);
    const gdpl = (gHi >>> 13) & 3;
    if (gdpl < this.cpl || gdpl < (gateSel & 3)) this.fault(VECTOR_GP, gateSel & ~3);
    if (!(gHi & (1 << 15))) this.fault(VECTOR_NP, gateSel & ~3);
    const csSel = gLo >>> 16;
    let offLo = (gLo & 0xffff) | (gHi & 0xffff0000);
    let offHi = 0;
    if (long) {
      // 16-byte gate: the upper 8 bytes hold offset 63:32.
      const t = s.gdtrBaseLo + (gateSel & ~7) + 8;
      this.readSystem(t >>> 0, s.gdtrBaseHi, 4);
      offHi = this.vLo;
    } else if (type === 0x4) offLo &= 0xffff;
    offLo >>>= 0;
    const gateSize = long ? 8 : type === 0xc ? 4 : 2;
    if (!this.readDescriptor(csSel)) this.fault(VECTOR_GP, csSel & ~3);
    const lo = this.vLo;
    const hi = this.vHi;
    const attr = Cpu.descAttr(hi);
    const dpl = (attr >> 5) & 3;
    const conforming = (attr & 4) !== 0;
    // SDM 2 "CALL"/"JMP" CALL-GATE, in this order: code with DPL <= CPL; a JMP never changes
    // privilege (non-conforming code needs DPL = CPL); in IA-32e mode 64-bit code (L=1, D=0).
    if (
      !(attr & AR_S) ||
      !(attr & 8) ||
      dpl > this.cpl ||
      (!isCall && !conforming && dpl !== this.cpl) ||
      (long && (!(attr & AR_L) || attr & AR_DB))
    )
      this.fault(VECTOR_GP, csSel & ~3);
    if (!(attr & AR_P)) this.fault(VECTOR_NP, csSel & ~3);
    this.checkNewCsOffset(offLo, offHi, gateSize, lo, hi);
    if (!isCall || conforming || dpl === this.cpl) {
      if (isCall) {
        this.push(gateSize, s.segSelector[SEG_CS]!, 0);
        this.push(gateSize, s.ripLo, s.ripHi);
      }
      this.loadCs(csSel, lo, hi, this.cpl);
      this.jumpTo(offLo, offHi, gateSize);
      return;
    }
    // Inner privilege (SDM 3A 5.8.5): read the gate's parameters from the caller's stack, switch
    // to the TSS stack for the new CPL, check it has room, then push SS:ESP, the parameters (in
    // their original order) and CS:EIP. 64-bit call gates copy no parameters.
    const oldSs = s.segSelector[SEG_SS]!;
    const oldSpLo = s.gpr32[8]!;
    const oldSpHi = s.gpr32[9]!;
    const oldCs = s.segSelector[SEG_CS]!;
    const oldIpLo = s.ripLo;
    const oldIpHi = s.ripHi;
    const params = long ? 0 : gHi & 0x1f;
    for (let i = 0; i < params; i++) {
      this.peek(i * gateSize, gateSize);
      CALL_GATE_PARAMS[i] = this.vLo;
    }
    // A fault from here on (a bad TSS stack, no room, a #PF or non-canonical RSP while pushing
    // the frame) is taken with the caller's CS, SS, ESP and CPL (SDM 3A 6.5: faults restart the
    // instruction); bytes already pushed lie below the new stack pointer, where nothing reads them.
    this.takeFarSnapshot();
    try {
      this.switchStack(dpl, 0);
      // SDM 2 "CALL": #SS(new SS) when the new stack cannot hold the whole frame.
      if (!long && !this.stackHasRoom((4 + params) * gateSize)) this.fault(VECTOR_SS, s.segSelector[SEG_SS]! & ~3);
      this.loadCs(csSel, lo, hi, dpl);
      this.push(gateSize, oldSs, 0);
      this.push(gateSize, oldSpLo, oldSpHi);
      for (let i = params - 1; i >= 0; i--) this.push(gateSize, CALL_GATE_PARAMS[i]!, 0);
      this.push(gateSize, oldCs, 0);
      this.push(gateSize, oldIpLo, oldIpHi);
      this.jumpTo(offLo, offHi, gateSize);
    } catch (e) {
      if (e === FAULT) this.restoreFarSnapshot();
      throw e;
    }
    void osz;
  }

  /**
   * Saves CS, SS (selectors and hidden parts), RSP, RFLAGS and the CPL before a far transfer
   * changes privilege, for {@link restoreFarSnapshot}. Far CALL/RET/IRET are not event delivery,
   * so they keep their own buffer (no allocation).
   */
  private takeFarSnapshot(): void {
    const s = this.state;
    const d = this.farSnapshot;
    d[0] = s.getFlags();
    d[1] = s.gpr32[8]!;
    d[2] = s.gpr32[9]!;
    d[3] = this.cpl;
    saveSegmentCache(s, SEG_CS, d, 4);
    saveSegmentCache(s, SEG_SS, d, 9);
  }

  /** Puts back the state {@link takeFarSnapshot} saved (a fault half-way through a far transfer). RIP is the caller's to restore. */
  private restoreFarSnapshot(): void {
    const s = this.state;
    const d = this.farSnapshot;
    s.setFlags(d[0]!);
    s.gpr32[8] = d[1]!;
    s.gpr32[9] = d[2]!;
    restoreSegmentCache(s, SEG_CS, d, 4);
    restoreSegmentCache(s, SEG_SS, d, 9);
    this.setCpl(d[3]!);
    this.updateMode();
  }

  /** Whether the stack just switched to has room for `bytes` below its stack pointer (SDM 2 "CALL", "INT n"). */
  private stackHasRoom(bytes: number): boolean {
    const s = this.state;
    const big = (s.segAttr[SEG_SS]! & AR_DB) !== 0;
    const off = big ? (s.gpr32[8]! - bytes) >>> 0 : (s.gpr16[16]! - bytes) & 0xffff;
    return segmentAccessVector(s, SEG_SS, off, bytes, true, this.segMode) === 0;
  }

  /**
   * Loads SS:RSP for privilege `dpl` from the TSS (or IST slot `ist` in long mode). SDM 3A 6.12.1,
   * 6.14.4 and the MORE-PRIVILEGE steps of SDM 2 "CALL" and "INT n": a stack slot past the TSS
   * limit is #TS(TSS selector); a bad SS selector #TS(SS selector); an SS that is not present
   * #SS(SS selector) — each with `ext` (1: an external event) in bit 0 of the error code.
   * Changes SS, RSP and the CPL; on a fault the CPL is the caller's again.
   */
  private switchStack(dpl: number, ist: number, ext = 0): void {
    const s = this.state;
    const base = s.segBaseLo[SEG_TR]!;
    const baseHi = s.segBaseHi[SEG_TR]!;
    const trAttr = s.segAttr[SEG_TR]! & 0xf;
    const long = (s.efer & EFER_LMA_BIT) !== 0;
    const tss32 = trAttr === 0xb || trAttr === 0x9;
    // The slot's offset (TSSstackAddress) and the last byte the SDM checks against the limit: the
    // last byte read — RSPn/ISTn +7, ESPn then SSn +5 (the 2 reserved bytes after SSn are not
    // read), SPn then SSn +3 (SDM 2 "CALL" MORE-PRIVILEGE, "INT n" INTER-PRIVILEGE-LEVEL-INTERRUPT).
    const off = long ? (ist > 0 ? 0x24 + (ist - 1) * 8 : 4 + dpl * 8) : tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
    if (off + (long ? 7 : tss32 ? 5 : 3) > s.segLimit[SEG_TR]!)
      this.fault(VECTOR_TS, (s.segSelector[SEG_TR]! & ~3) | ext);
    if (long) {
      this.readSystem(base + off, baseHi, 8);
      s.gpr32[8] = this.vLo;
      s.gpr32[9] = this.vHi;
      // SDM 3A 6.14.4: SS is loaded with a null selector whose RPL is the new CPL.
      s.segSelector[SEG_SS] = dpl;
      s.segAttr[SEG_SS] = 0x10000 | (dpl << 5);
      this.setCpl(dpl);
      return;
    }
    this.readSystem(base + off, 0, tss32 ? 4 : 2);
    const sp = this.vLo;
    this.readSystem(base + off + (tss32 ? 4 : 2), 0, 2);
    const ss = this.vLo;
    const saveCpl = this.cpl;
    this.setCpl(dpl);
    try {
      this.loadSegment(SEG_SS, ss, false);
    } catch (e) {
      this.setCpl(saveCpl);
      if (e === FAULT) this.fault(this.pendingVector === VECTOR_SS ? VECTOR_SS : VECTOR_TS, (ss & ~3) | ext);
      throw e;
    }
    s.gpr32[8] = sp;
    s.gpr32[9] = 0;
  }

  private farIndirect(insn: Instruction, isCall: boolean): void {
    const osz = insn.operandSize;
    this.eaAccess(insn, osz + 2, false);
    const lo = this.eaLo;
    const hi = this.eaHi;
    this.readMem(lo, hi, osz);
    const offLo = this.vLo;
    const offHi = osz === 8 ? this.vHi : 0;
    const t = lo + osz;
    this.readMem(t >>> 0, (hi + (t > 0xffffffff ? 1 : 0)) >>> 0, 2);
    const sel = this.vLo;
    this.farBranch(insn, sel, offLo, offHi, osz, isCall);
  }

  /**
   * Far JMP/CALL with RIP advanced past `insn` first (a CALL pushes it, a task switch saves it in
   * the old TSS). A fault or VM exit before a task switch commits puts RIP back on the
   * instruction (faults are restartable, SDM 3A 6.5); after the commit it belongs to the new task.
   */
  private farBranch(
    insn: Instruction,
    selector: number,
    offLo: number,
    offHi: number,
    osz: number,
    isCall: boolean,
  ): void {
    const s = this.state;
    const ipLo = s.ripLo;
    const ipHi = s.ripHi;
    // A far CALL pushes CS, then the return offset: a #PF on the second push must not leave the
    // stack pointer moved by the first.
    const spLo = s.gpr32[8]!;
    const spHi = s.gpr32[9]!;
    const tr = s.segSelector[SEG_TR];
    this.nextIp(insn);
    this.farInsnLength = insn.length;
    try {
      this.farTransfer(selector, offLo, offHi, osz, isCall);
    } catch (e) {
      // After a VM exit (ABORT with StopReason.VmExit) the CPU holds the host state: leave it alone
      // (taskSwitchExit already showed the exit RIP on the CALL/JMP).
      const exited = e === ABORT && this.stopRequested && this.stopReason === StopReason.VmExit;
      if ((e === FAULT || e === ABORT) && !exited && s.segSelector[SEG_TR] === tr) {
        s.ripLo = ipLo;
        s.ripHi = ipHi;
        s.gpr32[8] = spLo;
        s.gpr32[9] = spHi;
      }
      throw e;
    }
  }

  private farReturn(insn: Instruction): void {
    const s = this.state;
    const osz = insn.operandSize;
    const imm = insn.opCount > 0 ? insn.immediateLo & 0xffff : 0;
    this.peek(0, osz);
    const ipLo = this.vLo;
    const ipHi = osz === 8 ? this.vHi : 0;
    this.peek(osz, osz);
    const sel = this.vLo & 0xffff;
    if ((s.cr0 & CR0_PE_BIT) === 0 || s.flagsValue & FLAG_VM) {
      this.addSp(2 * osz + imm);
      this.loadSegment(SEG_CS, sel, true);
      s.ripLo = osz === 2 ? ipLo & 0xffff : ipLo;
      s.ripHi = 0;
      this.updateMode();
      return;
    }
    const rpl = sel & 3;
    if (rpl < this.cpl) this.fault(VECTOR_GP, sel & ~3);
    if (!this.readDescriptor(sel)) this.fault(VECTOR_GP, sel & ~3);
    const lo = this.vLo;
    const hi = this.vHi;
    const attr = Cpu.descAttr(hi);
    if (!(attr & AR_S) || !(attr & 8)) this.fault(VECTOR_GP, sel & ~3);
    // SDM 2 "RET": a non-conforming target needs DPL = RPL, a conforming one DPL <= RPL.
    if (attr & 4 ? ((attr >> 5) & 3) > rpl : ((attr >> 5) & 3) !== rpl) this.fault(VECTOR_GP, sel & ~3);
    if (!(attr & AR_P)) this.fault(VECTOR_NP, sel & ~3);
    this.checkNewCsOffset(ipLo, ipHi, osz, lo, hi);
    if (rpl === this.cpl) {
      // The pop uses the caller's stack size, so ESP moves before CS loads; loading CS can still
      // fault (#PF on its accessed-bit write), and then ESP goes back.
      this.takeFarSnapshot();
      try {
        this.addSp(2 * osz + imm);
        this.loadCs(sel, lo, hi, rpl);
        this.jumpTo(ipLo, ipHi, osz);
      } catch (e) {
        if (e === FAULT) this.restoreFarSnapshot();
        throw e;
      }
      return;
    }
    // Outer privilege: pop SS:SP too (SDM 3A 5.8.6).
    this.peek(2 * osz + imm, osz);
    const spLo = this.vLo;
    const spHi = osz === 8 ? this.vHi : 0;
    this.peek(3 * osz + imm, osz);
    const ss = this.vLo & 0xffff;
    // SS is checked at the new CPL, after CS is loaded: a fault there (SDM 2 "RET": #GP(selector),
    // #SS(selector)) must find the caller's CS, SS, ESP and CPL again.
    this.takeFarSnapshot();
    try {
      this.loadCs(sel, lo, hi, rpl);
      this.loadSegment(SEG_SS, ss, false);
      s.gpr32[8] = spLo;
      s.gpr32[9] = spHi;
      this.addSp(imm);
      this.jumpTo(ipLo, ipHi, osz);
    } catch (e) {
      if (e === FAULT) this.restoreFarSnapshot();
      throw e;
    }
    this.nullifyDataSegments();
  }

  private nullifyDataSegments(): void {
    const s = this.state;
    // SDM 3A 5.8.6 / IRET: data segments not accessible at the new CPL become null.
    for (const k of [SEG_ES, SEG_DS, SEG_FS, SEG_GS]) {
      const a = s.segAttr[k]!;
      const dpl = (a >> 5) & 3;
      const conformingCode = (a & 0xc) === 0xc;
      if (!(a & 0x10000) && !conformingCode && dpl < this.cpl) {
        s.segSelector[k] = 0;
        s.segAttr[k] = 0x10000;
      }
    }
    this.refreshSegments();
  }

  private iret(osz: number, insn: Instruction): void {
    const s = this.state;
    // SDM 3A 6.7.1: IRET unblocks NMIs even when it faults (an EPT violation or a fault that
    // exits reports it: "NMI unblocking due to IRET", SDM 3C 28.2.3). A task return unblocks
    // them once the task switch is done (a task-switch VM exit happens before that).
    if (this.nmiBlocked && !(s.flagsValue & FLAG_NT && (s.cr0 & CR0_PE_BIT) !== 0 && !(s.flagsValue & FLAG_VM))) {
      this.nmiBlocked = false;
      this.nmiUnblockedAt = this.retired;
    }
    if ((s.cr0 & CR0_PE_BIT) === 0 || s.flagsValue & FLAG_VM) {
      const vm = (s.flagsValue & FLAG_VM) !== 0;
      const access = vm ? v86FlagsAccess(s.getFlags(), s.cr4, osz) : FlagAccess.Real;
      if (access === FlagAccess.Fault) this.fault(VECTOR_GP, 0);
      if (access === FlagAccess.Virtual) {
        this.peek(4, 2);
        if (virtualPopFaults(s.getFlags(), this.vLo)) this.fault(VECTOR_GP, 0);
      }
      this.pop(osz);
      const ip = this.vLo;
      this.pop(osz);
      const cs = this.vLo & 0xffff;
      this.pop(osz);
      const fl = this.vLo;
      this.loadSegment(SEG_CS, cs, true);
      s.ripLo = osz === 2 ? ip & 0xffff : ip;
      s.ripHi = 0;
      // SDM 2 "IRET": a 16-bit IRET keeps bits 31:16; in v8086 mode IOPL (and VM/VIF/VIP) stay.
      const keep = vm
        ? osz === 2
          ? ~0xffff | FLAG_IOPL
          : FLAG_VM | FLAG_IOPL | FLAG_VIF | FLAG_VIP
        : osz === 2
          ? ~0xffff
          : FLAG_VM;
      if (access === FlagAccess.Virtual) s.setFlags(virtualPop(s.getFlags(), fl));
      else s.setFlags((s.getFlags() & keep) | (fl & ~keep & (osz === 2 ? 0xffff : 0x3f7fd7)));
      this.nmiBlocked = false;
      this.updateMode();
      return;
    }
    if (s.flagsValue & FLAG_NT && !(s.efer & EFER_LMA_BIT)) {
      // SDM 2 "IRET" TASK-RETURN: back to the task named by the current TSS's link field.
      const link = this.systemRead(s.segBaseLo[SEG_TR]!, 2);
      const ipLo = s.ripLo;
      this.nextIp(insn);
      const tr = s.segSelector[SEG_TR];
      try {
        // false: a VM exit (taskSwitchExit saved RIP on the IRET); the CPU now holds the host state.
        if (!switchTask(this, link, TaskSwitchSource.Iret, 0, -1, insn.length)) throw ABORT;
      } catch (e) {
        if (e === FAULT && s.segSelector[SEG_TR] === tr) s.ripLo = ipLo;
        throw e;
      }
      this.nmiBlocked = false;
      return;
    }
    this.peek(0, osz);
    const ipLo = this.vLo;
    const ipHi = osz === 8 ? this.vHi : 0;
    this.peek(osz, osz);
    const cs = this.vLo & 0xffff;
    this.peek(2 * osz, osz);
    const fl = this.vLo;
    const rpl = cs & 3;
    if (fl & FLAG_VM && this.cpl === 0 && osz === 4) {
      // Return to virtual-8086 mode (SDM 2 "IRET" RETURN-TO-VIRTUAL-8086-MODE): #GP(0) for an EIP
      // past the CS limit — FFFFH in v8086 mode — before anything is loaded; then pop ESP, SS,
      // ES, DS, FS, GS.
      if (ipLo > 0xffff) this.fault(VECTOR_GP, 0);
      const vals: number[] = [];
      for (let i = 3; i < 9; i++) {
        this.peek(i * 4, 4);
        vals.push(this.vLo);
      }
      s.setFlags(fl);
      s.ripLo = ipLo;
      const segs = [SEG_SS, SEG_ES, SEG_DS, SEG_FS, SEG_GS];
      for (let i = 0; i < 5; i++) this.loadSegment(segs[i]!, vals[i + 1]! & 0xffff, false);
      this.loadSegment(SEG_CS, cs, true);
      s.gpr32[8] = vals[0]!;
      s.gpr32[9] = 0;
      this.updateMode();
      this.flushTlb();
      this.nmiBlocked = false;
      return;
    }
    if (rpl < this.cpl) this.fault(VECTOR_GP, cs & ~3);
    if (!this.readDescriptor(cs)) this.fault(VECTOR_GP, cs & ~3);
    const lo = this.vLo;
    const hi = this.vHi;
    const attr = Cpu.descAttr(hi);
    if (!(attr & AR_S) || !(attr & 8)) this.fault(VECTOR_GP, cs & ~3);
    // SDM 2 "IRET": a non-conforming target needs DPL = RPL, a conforming one DPL <= RPL.
    if (attr & 4 ? ((attr >> 5) & 3) > rpl : ((attr >> 5) & 3) !== rpl) this.fault(VECTOR_GP, cs & ~3);
    if (!(attr & AR_P)) this.fault(VECTOR_NP, cs & ~3);
    this.checkNewCsOffset(ipLo, ipHi, osz, lo, hi);
    const oldCpl = this.cpl;
    const long64 = this.bitness === 64;
    const popStack = rpl !== oldCpl || long64;
    let spLo = 0;
    let spHi = 0;
    let ss = 0;
    if (popStack) {
      this.peek(3 * osz, osz);
      spLo = this.vLo;
      spHi = osz === 8 ? this.vHi : 0;
      this.peek(4 * osz, osz);
      ss = this.vLo & 0xffff;
    }
    // RFLAGS: IOPL only at CPL 0, IF only when CPL <= IOPL (SDM 2 "IRET").
    const old = s.getFlags();
    let mask = 0x257fd5 | FLAG_NT | FLAG_RF | FLAG_AC | FLAG_ID | (1 << 19) | (1 << 20);
    if (oldCpl > (old & FLAG_IOPL) >>> 12) mask &= ~FLAG_IF;
    if (oldCpl !== 0) mask &= ~(FLAG_IOPL | (1 << 19) | (1 << 20));
    if (osz === 2) mask &= 0xffff;
    mask &= ~FLAG_VM;
    // A fault on the popped SS (checked at the new CPL) leaves RFLAGS, CS, SS, RSP and the CPL as
    // they were before the IRET (SDM 3A 6.5).
    this.takeFarSnapshot();
    try {
      if (!popStack) this.addSp(3 * osz);
      s.setFlags((old & ~mask) | (fl & mask));
      this.loadCs(cs, lo, hi, rpl);
      if (popStack) {
        this.setCpl(rpl);
        if (long64 && (ss & ~3) === 0 && rpl !== 3) {
          s.segSelector[SEG_SS] = ss;
          s.segAttr[SEG_SS] = 0x10000 | (rpl << 5);
        } else this.loadSegment(SEG_SS, ss, false);
        s.gpr32[8] = spLo;
        s.gpr32[9] = spHi;
      }
      this.jumpTo(ipLo, ipHi, osz === 8 || this.bitness === 64 ? 8 : osz);
    } catch (e) {
      if (e === FAULT) this.restoreFarSnapshot();
      throw e;
    }
    if (rpl > oldCpl) this.nullifyDataSegments();
    this.nmiBlocked = false;
  }

  private movToCr(insn: Instruction): void {
    const s = this.state;
    if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
    const cr = REG_INDEX[insn.opRegister[0]!]!;
    this.readReg(insn.opRegister[1]!);
    const lo = this.vLo;
    const hi = this.bitness === 64 ? this.vHi : 0;
    const ic = this.interception;
    if (ic?.movToCr(cr, 0, lo, hi, REG_INDEX[insn.opRegister[1]!]!, insn.length)) {
      this.vmExited();
      throw ABORT;
    }
    switch (cr) {
      case 0: {
        // SDM 3A 2.5 / 9.8.5: PG without PE, NW without CD, and enabling paging with LME but no PAE fault #GP.
        if (hi !== 0 || (lo & CR0_PG_BIT && !(lo & CR0_PE_BIT)) || (lo & (1 << 29) && !(lo & (1 << 30))))
          this.fault(VECTOR_GP, 0);
        const enablingPaging = lo & CR0_PG_BIT && !(s.cr0 & CR0_PG_BIT);
        if (enablingPaging && s.efer & EFER_LME_BIT) {
          if (!(s.cr4 & CR4_PAE_BIT)) this.fault(VECTOR_GP, 0);
          s.efer |= EFER_LMA_BIT; // SDM 3A 10.8.5: IA-32e mode activates when paging turns on with LME
        }
        if (!(lo & CR0_PG_BIT) && s.cr0 & CR0_PG_BIT && s.efer & EFER_LMA_BIT) {
          if (this.bitness === 64) this.fault(VECTOR_GP, 0);
          s.efer &= ~EFER_LMA_BIT;
        }
        s.cr0 = (lo | CR0_ET) >>> 0;
        this.stateChanged();
        break;
      }
      case 2:
        s.cr2Lo = lo;
        s.cr2Hi = hi;
        break;
      case 3:
        s.cr3Lo = lo;
        s.cr3Hi = hi;
        this.stateChanged();
        break;
      case 4:
        if (s.efer & EFER_LMA_BIT && !(lo & CR4_PAE_BIT)) this.fault(VECTOR_GP, 0);
        s.cr4 = lo;
        this.stateChanged();
        break;
      case 8:
        // SDM 2 "MOV—Move to/from Control Registers": bits 63:4 of CR8 are reserved (#GP(0)),
        // a fault the CR8-load exit above has priority over (SDM 3C 26.1.1).
        if (hi !== 0 || lo >>> 4 !== 0) this.fault(VECTOR_GP, 0);
        if (ic !== null && ic.writeTprShadow !== undefined) {
          // SDM 3C 29.1.2: a TPR-below-threshold exit is trap-like, it saves the next RIP.
          const ipLo = s.ripLo;
          const ipHi = s.ripHi;
          this.nextIp(insn);
          // The exit also has priority over the MOV's single-step trap, which it saves as a
          // pending debug exception (BS) with any trap a MOV SS shadow held (SDM 3C 29.1.2, 28.3.4).
          const held = this.delayedDr6;
          if (s.flagsValue & FLAG_TF) this.delayedDr6 = held | DR6_BS;
          const r = ic.writeTprShadow(lo);
          if (r === TprShadowWrite.Exited) {
            // The MOV completed before the exit: it counts as retired.
            this.retired++;
            s.tsc++;
            this.vmExited();
            throw ABORT;
          }
          this.delayedDr6 = held;
          s.ripLo = ipLo;
          s.ripHi = ipHi;
          if (r === TprShadowWrite.Written) break;
        }
        s.cr8 = lo;
        break;
      default:
        this.fault(VECTOR_UD);
    }
  }

  private movFromCr(insn: Instruction): void {
    const s = this.state;
    if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
    const cr = REG_INDEX[insn.opRegister[1]!]!;
    const ic = this.interception;
    if (ic !== null && (cr === 3 || cr === 8) && ic.movFromCr(cr, REG_INDEX[insn.opRegister[0]!]!, insn.length)) {
      this.vmExited();
      throw ABORT;
    }
    let lo: number;
    let hi = 0;
    switch (cr) {
      case 0:
        lo = ic !== null ? ic.readShadowedCr(0, s.cr0) : s.cr0;
        break;
      case 2:
        lo = s.cr2Lo;
        hi = s.cr2Hi;
        break;
      case 3:
        lo = s.cr3Lo;
        hi = s.cr3Hi;
        break;
      case 4:
        lo = ic !== null ? ic.readShadowedCr(4, s.cr4) : s.cr4;
        break;
      case 8: {
        // SDM 3C 29.3: with "use TPR shadow", MOV from CR8 reads VTPR[7:4].
        const shadow = ic !== null && ic.readTprShadow !== undefined ? ic.readTprShadow() : -1;
        lo = shadow >= 0 ? shadow : s.cr8;
        break;
      }
      default:
        this.fault(VECTOR_UD);
    }
    const r = insn.opRegister[0]!;
    if (this.bitness === 64) this.writeReg(Register.RAX + REG_INDEX[r]!, lo, hi);
    else this.writeReg(Register.EAX + REG_INDEX[r]!, lo, 0);
  }

  private movDr(insn: Instruction): void {
    const s = this.state;
    if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
    const toDr = REG_KIND[insn.opRegister[0]!] === RegKind.Dr;
    const dr = REG_INDEX[insn.opRegister[toDr ? 0 : 1]!]!;
    const gpr = REG_INDEX[insn.opRegister[toDr ? 1 : 0]!]!;
    if (this.interception?.movDr(dr, toDr, gpr, insn.length)) {
      this.vmExited();
      throw ABORT;
    }
    let n = dr;
    if (n === 4 || n === 5) {
      if (s.cr4 & (1 << 3)) this.fault(VECTOR_UD); // CR4.DE
      n += 2;
    }
    if (n > 7) this.fault(VECTOR_UD);
    // SDM 3B 17.2.4: with DR7.GD set, any debug-register access is a #DB fault with DR6.BD.
    if (s.dr[14]! & DR7_GD) {
      this.pendingDr6 = DR6_BD;
      this.fault(VECTOR_DB);
    }
    if (toDr) {
      s.dr[2 * n] = s.gpr32[2 * gpr]!;
      s.dr[2 * n + 1] = this.bitness === 64 ? s.gpr32[2 * gpr + 1]! : 0;
    } else {
      s.gpr32[2 * gpr] = s.dr[2 * n]!;
      s.gpr32[2 * gpr + 1] = this.bitness === 64 ? s.dr[2 * n + 1]! : 0;
    }
  }

  private descriptorTable(insn: Instruction, h: number): void {
    const s = this.state;
    const load = h === H.Lgdt || h === H.Lidt;
    if (load && this.cpl !== 0) this.fault(VECTOR_GP, 0);
    if (this.interception !== null) {
      const kind = h === H.Lgdt ? 6 : h === H.Lidt ? 7 : h === H.Sgdt ? 8 : 9;
      const o = this.fillVmxOperands(insn, false);
      // 16- or 32-bit operand size outside 64-bit mode (in it the descriptor is always 10 bytes).
      o.operandSize = this.bitness === 64 ? 8 : insn.operandSize;
      if (this.interception.conditional(kind, insn.length, o)) {
        this.vmExited();
        throw ABORT;
      }
    }
    this.eaAccess(insn, this.bitness === 64 ? 10 : 6, !load);
    const lo = this.eaLo;
    const hi = this.eaHi;
    const gdt = h === H.Lgdt || h === H.Sgdt;
    const t = lo + 2;
    const lo2 = t >>> 0;
    const hi2 = (hi + (t > 0xffffffff ? 1 : 0)) >>> 0;
    if (load) {
      this.readMem(lo, hi, 2);
      const limit = this.vLo;
      this.readMem(lo2, hi2, this.bitness === 64 ? 8 : 4);
      let bLo = this.vLo;
      const bHi = this.bitness === 64 ? this.vHi : 0;
      if (this.bitness !== 64 && insn.operandSize === 2) bLo &= 0xffffff;
      if (gdt) {
        s.gdtrLimit = limit;
        s.gdtrBaseLo = bLo;
        s.gdtrBaseHi = bHi;
      } else {
        s.idtrLimit = limit;
        s.idtrBaseLo = bLo;
        s.idtrBaseHi = bHi;
      }
    } else {
      this.writeMem(lo, hi, 2, gdt ? s.gdtrLimit : s.idtrLimit, 0);
      if (this.bitness === 64)
        this.writeMem(lo2, hi2, 8, gdt ? s.gdtrBaseLo : s.idtrBaseLo, gdt ? s.gdtrBaseHi : s.idtrBaseHi);
      else this.writeMem(lo2, hi2, 4, gdt ? s.gdtrBaseLo : s.idtrBaseLo, 0);
    }
  }

  private ldtTr(insn: Instruction, h: number): void {
    const s = this.state;
    if ((s.cr0 & CR0_PE_BIT) === 0 || s.flagsValue & FLAG_VM) this.fault(VECTOR_UD);
    const store = h === H.Sldt || h === H.Str;
    if (!store && this.cpl !== 0) this.fault(VECTOR_GP, 0);
    const seg = h === H.Lldt || h === H.Sldt ? SEG_LDTR : SEG_TR;
    if (this.interception !== null) {
      const kind = h === H.Lldt ? 10 : h === H.Ltr ? 11 : h === H.Sldt ? 12 : 13;
      const o = this.fillVmxOperands(insn, false);
      // The r/m operand of LLDT/LTR/SLDT/STR: a register operand is reported as Reg1.
      if (!o.isMemory) o.rmRegister = REG_INDEX[insn.opRegister[0]!]!;
      if (this.interception.conditional(kind, insn.length, o)) {
        this.vmExited();
        throw ABORT;
      }
    }
    if (store) {
      this.writeOp(insn, 0, insn.opKind[0] === OperandKind.Memory ? 2 : this.opSize(insn, 0), s.segSelector[seg]!, 0);
      return;
    }
    this.readOp(insn, 0, 2);
    const sel = this.vLo & 0xffff;
    if ((sel & ~3) === 0) {
      if (seg === SEG_TR) this.fault(VECTOR_GP, 0);
      s.segSelector[seg] = sel;
      s.segAttr[seg] = 0x10000;
      return;
    }
    if (sel & 4) this.fault(VECTOR_GP, sel & ~3);
    if (!this.readDescriptor(sel)) this.fault(VECTOR_GP, sel & ~3);
    const lo = this.vLo;
    const hi = this.vHi;
    const attr = Cpu.descAttr(hi);
    const type = attr & 0xf;
    if (attr & AR_S || (seg === SEG_LDTR ? type !== 2 : type !== 9 && type !== 1)) this.fault(VECTOR_GP, sel & ~3);
    if (!(attr & AR_P)) this.fault(VECTOR_NP, sel & ~3);
    let baseHi = 0;
    if (s.efer & EFER_LMA_BIT) {
      const t = s.gdtrBaseLo + (sel & ~7) + 8;
      this.readSystem(t >>> 0, s.gdtrBaseHi, 4);
      baseHi = this.vLo;
    }
    s.segSelector[seg] = sel;
    s.segBaseLo[seg] = Cpu.descBase(lo, hi);
    s.segBaseHi[seg] = baseHi;
    s.segLimit[seg] = Cpu.descLimit(lo, hi);
    if (seg === SEG_TR) {
      // SDM 2 "LTR": the descriptor is marked busy.
      const save = this.cpl;
      this.cpl = 0;
      this.writeMem((s.gdtrBaseLo + (sel & ~7) + 5) >>> 0, s.gdtrBaseHi, 1, ((hi >>> 8) & 0xff) | 2, 0);
      this.cpl = save;
      s.segAttr[seg] = attr | 2;
    } else s.segAttr[seg] = attr;
  }

  /**
   * XGETBV/XSETBV, RDRAND/RDSEED, MONITOR/MWAIT and RDPMC: the fault checks the SDM orders
   * before a VM exit (#UD from CPUID/CR4, #GP for CPL), the interception, then the
   * instruction's architectural effect.
   */
  private execSystemExtension(insn: Instruction, h: H): void {
    const s = this.state;
    const g = s.gpr32;
    const ic = this.interception;
    switch (h) {
      case H.Xgetbv:
      case H.Xsetbv: {
        // SDM 2 "XGETBV"/"XSETBV": #UD without CR4.OSXSAVE; XSETBV is CPL 0 only and exits unconditionally.
        if ((s.cr4 & CR4_OSXSAVE) === 0) this.fault(VECTOR_UD);
        if (h === H.Xgetbv) {
          if (g[2] !== 0) this.fault(VECTOR_GP, 0);
          g[0] = s.xcr0;
          g[1] = 0;
          g[4] = 0;
          g[5] = 0;
          return;
        }
        if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
        if (ic?.unconditional(UnconditionalExit.Xsetbv, insn.length)) {
          this.vmExited();
          throw ABORT;
        }
        const v = g[0]! >>> 0;
        // XCR0 rules: only ECX=0 exists; bit 0 (x87) set; AVX (bit 2) needs SSE (bit 1); only supported bits.
        if (g[2] !== 0 || g[4] !== 0 || (v & 1) === 0 || (v & ~XCR0_SUPPORTED) !== 0 || (v & 6) === 4)
          this.fault(VECTOR_GP, 0);
        s.xcr0 = v;
        return;
      }
      case H.Rdrand: {
        const seed = MNEMONIC_COND[insn.mnemonic] === 1;
        const f = seed ? this.cpuidModel.query(7, 0)[1]! & (1 << 18) : this.cpuidModel.query(1, 0)[2]! & (1 << 30);
        if (f === 0) this.fault(VECTOR_UD);
        // Optional call: the operands are only filled in non-root operation.
        if (
          ic?.conditional(
            seed ? ConditionalExit.Rdseed : ConditionalExit.Rdrand,
            insn.length,
            this.rdrandOperands(insn),
          )
        ) {
          this.vmExited();
          throw ABORT;
        }
        const size = this.opSize(insn, 0);
        const lo = this.nextRandom();
        const hi = size === 8 ? this.nextRandom() : 0;
        this.writeReg(insn.opRegister[0]!, size === 2 ? lo & 0xffff : lo, hi);
        // CF=1 (a value is always available); OF/SF/ZF/AF/PF cleared.
        s.setFlags((s.getFlags() & ~FLAGS_STATUS) | FLAG_CF);
        return;
      }
      case H.Monitor:
      case H.Mwait: {
        // SDM 2 "MONITOR"/"MWAIT": #UD without CPUID.01H:ECX.MONITOR[3] or at CPL > 0; no extensions offered, so ECX must be 0.
        if ((this.cpuidModel.query(1, 0)[2]! & (1 << 3)) === 0 || this.cpl !== 0) this.fault(VECTOR_UD);
        if (ic?.conditional(h === H.Monitor ? ConditionalExit.Monitor : ConditionalExit.Mwait, insn.length)) {
          this.vmExited();
          throw ABORT;
        }
        if (g[2] !== 0) this.fault(VECTOR_GP, 0);
        // MONITOR arms nothing we model; MWAIT wakes at once (a permitted spurious wake-up).
        return;
      }
      case H.Rdpmc: {
        // SDM 2 "RDPMC": #GP(0) at CPL > 0 unless CR4.PCE; no performance counters are modelled, so every ECX is invalid.
        if (this.cpl !== 0 && (s.cr4 & CR4_PCE) === 0) this.fault(VECTOR_GP, 0);
        if (ic?.rdpmc(insn.length)) {
          this.vmExited();
          throw ABORT;
        }
        this.fault(VECTOR_GP, 0);
      }
    }
  }

  /** The next value of the deterministic RDRAND/RDSEED generator (xorshift32 over `state.randomState`). */
  private nextRandom(): number {
    let x = this.state.randomState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state.randomState = x >>> 0;
    return x >>> 0;
  }

  private msw(insn: Instruction, load: boolean): void {
    const s = this.state;
    if (load) {
      if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
      this.readOp(insn, 0, 2);
      const v = this.vLo & 0xf;
      const ic = this.interception;
      // SDM 3C 28.2.1 Table 28-3: the LMSW operand register (memory operand: -1).
      const memory = insn.opKind[0] === OperandKind.Memory;
      const gpr = memory ? -1 : REG_INDEX[insn.opRegister[0]!]!;
      // The whole 16-bit source is the qualification's LMSW source data; a memory operand's
      // linear address is the guest-linear address (SDM 3C 28.2.1, 28.2.4).
      if (ic?.movToCr(0, 3, this.vLo & 0xffff, 0, gpr, insn.length, memory ? this.eaLo : 0, memory ? this.eaHi : 0)) {
        this.vmExited();
        throw ABORT;
      }
      // SDM 3C 26.3: in VMX non-root operation LMSW leaves the host-owned bits (CR0 guest/host
      // mask) alone; ownership shows as a read that ignores the bit.
      const owned = ic !== null ? ~(ic.readShadowedCr(0, s.cr0) ^ ic.readShadowedCr(0, s.cr0 ^ 0xf)) & 0xf : 0;
      // SDM 2 "LMSW": only PE/MP/EM/TS; PE cannot be cleared.
      const writable = 0xf & ~owned;
      s.cr0 = ((s.cr0 & ~(writable & 0xe)) | (v & writable) | (s.cr0 & 1)) >>> 0;
      this.stateChanged();
    } else {
      const cr0 = this.interception !== null ? this.interception.readShadowedCr(0, s.cr0) : s.cr0;
      const size = insn.opKind[0] === OperandKind.Memory ? 2 : this.opSize(insn, 0);
      this.writeOp(insn, 0, size, size === 2 ? cr0 & 0xffff : cr0, 0);
    }
  }

  // ------------------------------------------------------------------ SYSCALL / SYSRET / SYSENTER

  private syscall(insn: Instruction): void {
    const s = this.state;
    const g = s.gpr32;
    // SDM 2 "SYSCALL": #UD unless EFER.SCE and IA-32e mode.
    if (!(s.efer & EFER_SCE) || !(s.efer & EFER_LMA_BIT)) this.fault(VECTOR_UD);
    this.nextIp(insn);
    g[2] = s.ripLo;
    g[3] = s.ripHi;
    const f = s.getFlags();
    g[22] = f & ~FLAG_RF;
    g[23] = 0;
    const star = this.msrSlot(MSR_IA32_STAR);
    const lstar = this.msrSlot(MSR_IA32_LSTAR);
    const fmask = this.msrSlot(MSR_IA32_FMASK);
    const sel = star[1]! & 0xffff;
    this.setSegmentRaw(SEG_CS, sel & 0xfffc, 0, 0xffffffff, 0x9b | AR_L | (1 << 15));
    s.segSelector[SEG_SS] = (sel + 8) & 0xfffc;
    s.segBaseLo[SEG_SS] = 0;
    s.segLimit[SEG_SS] = 0xffffffff;
    s.segAttr[SEG_SS] = 0x93 | AR_DB | (1 << 15);
    s.setFlags(f & ~fmask[0]! & ~FLAG_RF);
    s.ripLo = lstar[0]!;
    s.ripHi = lstar[1]!;
    this.updateMode();
    this.flushTlb();
  }

  private sysret(insn: Instruction): void {
    const s = this.state;
    const g = s.gpr32;
    if (!(s.efer & EFER_SCE) || !(s.efer & EFER_LMA_BIT) || this.bitness !== 64) this.fault(VECTOR_UD);
    if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
    const star = this.msrSlot(MSR_IA32_STAR);
    const base = star[1]! >>> 16;
    const to64 = insn.operandSize === 8;
    // SDM 2 "SYSRET": a non-canonical RCX is #GP(0) at CPL 0, before anything changes.
    if (to64 && !isCanonical(g[3]!, this.canonShift)) this.fault(VECTOR_GP, 0);
    this.setSegmentRaw(
      SEG_CS,
      ((to64 ? base + 16 : base) & 0xfffc) | 3,
      0,
      0xffffffff,
      0xfb | (to64 ? AR_L : AR_DB) | (1 << 15),
    );
    s.segSelector[SEG_SS] = ((base + 8) & 0xfffc) | 3;
    // SDM 2 "SYSRET": SS is a flat 4-GiB segment (the compatibility-mode return depends on it).
    s.segBaseLo[SEG_SS] = 0;
    s.segLimit[SEG_SS] = 0xffffffff;
    s.segAttr[SEG_SS] = 0xf3 | AR_DB | (1 << 15);
    s.setFlags((g[22]! & 0x3c7fd7) | 2);
    s.ripLo = g[2]!;
    s.ripHi = to64 ? g[3]! : 0;
    this.updateMode();
    this.flushTlb();
  }

  private sysenterExit(enter: boolean, osz: number): void {
    const s = this.state;
    const g = s.gpr32;
    const cs = this.msrSlot(MSR_IA32_SYSENTER_CS)[0]! & 0xffff;
    if (!(s.cr0 & CR0_PE_BIT) || (cs & 0xfffc) === 0) this.fault(VECTOR_GP, 0);
    const long = (s.efer & EFER_LMA_BIT) !== 0;
    if (enter) {
      const esp = this.msrSlot(MSR_IA32_SYSENTER_ESP);
      const eip = this.msrSlot(MSR_IA32_SYSENTER_EIP);
      s.setFlags(s.getFlags() & ~(FLAG_VM | FLAG_IF | FLAG_RF));
      this.setSegmentRaw(SEG_CS, cs & 0xfffc, 0, 0xffffffff, 0x9b | (long ? AR_L : AR_DB) | (1 << 15));
      s.segSelector[SEG_SS] = (cs + 8) & 0xfffc;
      s.segBaseLo[SEG_SS] = 0;
      s.segLimit[SEG_SS] = 0xffffffff;
      s.segAttr[SEG_SS] = 0x93 | AR_DB | (1 << 15);
      g[8] = esp[0]!;
      g[9] = long ? esp[1]! : 0;
      s.ripLo = eip[0]!;
      s.ripHi = long ? eip[1]! : 0;
    } else {
      if (this.cpl !== 0) this.fault(VECTOR_GP, 0);
      const to64 = osz === 8;
      // SDM 2 "SYSEXIT": the new RIP (RDX) and RSP (RCX) must be canonical.
      if (to64 && (!isCanonical(g[5]!, this.canonShift) || !isCanonical(g[3]!, this.canonShift)))
        this.fault(VECTOR_GP, 0);
      this.setSegmentRaw(
        SEG_CS,
        ((cs + (to64 ? 32 : 16)) & 0xfffc) | 3,
        0,
        0xffffffff,
        0xfb | (to64 ? AR_L : AR_DB) | (1 << 15),
      );
      s.segSelector[SEG_SS] = ((cs + (to64 ? 40 : 24)) & 0xfffc) | 3;
      // SDM 2 "SYSEXIT": SS is a flat 4-GiB segment.
      s.segBaseLo[SEG_SS] = 0;
      s.segLimit[SEG_SS] = 0xffffffff;
      s.segAttr[SEG_SS] = 0xf3 | AR_DB | (1 << 15);
      s.ripLo = g[4]!;
      s.ripHi = to64 ? g[5]! : 0;
      g[8] = g[2]!;
      g[9] = to64 ? g[3]! : 0;
    }
    this.updateMode();
    this.flushTlb();
  }

  // ------------------------------------------------------------------ VMX instructions

  /**
   * Fills the reused {@link VmxOperands} from the decoded instruction (memory operand's linear
   * address, segment, base/index/scale/displacement for the VM-exit instruction-information
   * field, SDM 3C 28.2.5). `regIsFirst`: operand 0 is the ModRM.reg operand (VMWRITE, INVEPT,
   * INVVPID, INVPCID); otherwise the last register operand is. Only called on VMX paths.
   */
  private fillVmxOperands(insn: Instruction, regIsFirst: boolean): MutableVmxOperands {
    const o = this.vmxOperands;
    o.instructionLength = insn.length;
    o.isMemory = false;
    o.rmRegister = -1;
    o.regRegister = -1;
    o.operandSize = this.bitness === 64 ? 8 : 4;
    o.addressSize = insn.addressSize;
    o.segment = 0;
    o.baseRegister = -1;
    o.indexRegister = -1;
    o.scale = 0;
    o.displacementLo = 0;
    o.displacementHi = 0;
    for (let i = 0; i < insn.opCount; i++) {
      if (insn.opKind[i] === OperandKind.Memory) {
        this.ea(insn);
        o.isMemory = true;
        o.linearLo = this.eaLo;
        o.linearHi = this.eaHi;
        o.segment = insn.memSegment - Register.ES;
        const base = insn.memBase;
        const ripRelative = base === Register.RIP || base === Register.EIP;
        o.baseRegister = base === Register.None || ripRelative ? -1 : REG_INDEX[base]!;
        o.indexRegister = insn.memIndex === Register.None ? -1 : REG_INDEX[insn.memIndex]!;
        o.scale = insn.memScale === 8 ? 3 : insn.memScale === 4 ? 2 : insn.memScale === 2 ? 1 : 0;
        // Sign-extend a 16/32-bit displacement to 64 bits (the decoder keeps it at the address size).
        const d = insn.memDisplacementLo;
        if (insn.addressSize === 8 || ripRelative) {
          o.displacementLo = d >>> 0;
          o.displacementHi = insn.memDisplacementHi >>> 0;
        } else {
          const v = insn.addressSize === 2 ? (d << 16) >> 16 : d | 0;
          o.displacementLo = v >>> 0;
          o.displacementHi = v < 0 ? 0xffffffff : 0;
        }
      } else if (insn.opKind[i] === OperandKind.Register) {
        const n = REG_INDEX[insn.opRegister[i]!]!;
        if ((i === 0) === regIsFirst) o.regRegister = n;
        else o.rmRegister = n;
      }
    }
    return o;
  }

  /** RDRAND/RDSEED for the VM-exit instruction information: destination register and operand size. */
  private rdrandOperands(insn: Instruction): VmxOperands {
    const o = this.fillVmxOperands(insn, false);
    o.operandSize = this.opSize(insn, 0);
    return o;
  }

  private execVmx(insn: Instruction): void {
    const op = MNEMONIC_COND[insn.mnemonic]! as VmxOperation;
    if (op === VmxOperation.Vmfunc && this.interception?.vmfunc !== undefined) {
      this.vmfunc(insn, this.interception);
      return;
    }
    // VMREAD r/m, r / VMWRITE r, r/m / INVEPT r, m: the ModRM.reg operand is the field/type.
    const o = this.fillVmxOperands(
      insn,
      op === VmxOperation.Vmwrite || op === VmxOperation.Invept || op === VmxOperation.Invvpid,
    );
    const ic = this.interception;
    if (ic !== null) {
      if (ic.vmxInstruction(op, o as VmxOperands)) {
        this.vmExited();
        throw ABORT;
      }
    }
    const hook = this.hooks.vmxInstruction;
    if (hook === undefined) this.fault(VECTOR_UD);
    const r = hook(op, o as VmxOperands);
    if (r === VmxHookResult.Fault) throw FAULT;
    if (r === VmxHookResult.Continue) this.nextIp(insn);
    else this.stateChanged(); // VM entry loaded new control registers and segments
  }

  /**
   * VMFUNC in VMX non-root operation (SDM 2 "VMFUNC", SDM 3C 25.5.6): #UD without "enable VM
   * functions", else the function runs or the instruction exits (reason 59). EPTP switching
   * changes the guest-physical mapping under the TLB, which is not tagged by EPTP: flush it.
   */
  private vmfunc(insn: Instruction, ic: VmxInterception): void {
    const g = this.state.gpr32;
    const r = ic.vmfunc!(g[0]!, g[2]!, insn.length);
    if (r === VmfuncResult.Undefined) this.fault(VECTOR_UD);
    if (r === VmfuncResult.Exited) {
      this.vmExited();
      throw ABORT;
    }
    this.flushTlb();
    this.nextIp(insn);
  }

  // ------------------------------------------------------------------ SSE subset

  private execSse(insn: Instruction): void {
    executeSse(this, insn);
  }

  /** @internal operand access for the SSE executor. */
  sseReadRm(insn: Instruction, i: number, out: Uint32Array, lanes: number): void {
    if (insn.opKind[i] === OperandKind.Register) {
      const r = insn.opRegister[i]!;
      if (REG_KIND[r] === RegKind.Xmm) {
        const n = REG_INDEX[r]!;
        for (let k = 0; k < 4; k++) out[k] = this.xmm[4 * n + k]!;
      } else {
        this.readReg(r);
        out[0] = this.vLo;
        out[1] = this.vHi;
        out[2] = 0;
        out[3] = 0;
      }
      return;
    }
    if (insn.opKind[i] === OperandKind.Immediate) {
      out[0] = insn.immediateLo;
      return;
    }
    this.eaAccess(insn, lanes * 4, false);
    out.fill(0);
    for (let k = 0; k < lanes; k += 2) {
      const t = this.eaLo + k * 4;
      this.readMem(t >>> 0, (this.eaHi + (t > 0xffffffff ? 1 : 0)) >>> 0, lanes - k >= 2 ? 8 : 4);
      out[k] = this.vLo;
      if (lanes - k >= 2) out[k + 1] = this.vHi;
    }
  }

  /** @internal */
  sseWriteRm(insn: Instruction, i: number, src: Uint32Array, lanes: number): void {
    if (insn.opKind[i] === OperandKind.Register) {
      const r = insn.opRegister[i]!;
      if (REG_KIND[r] === RegKind.Xmm) {
        const n = REG_INDEX[r]!;
        for (let k = 0; k < lanes; k++) this.xmm[4 * n + k] = src[k]!;
      } else this.writeReg(r, src[0]!, src[1]!);
      return;
    }
    this.eaAccess(insn, lanes * 4, true);
    for (let k = 0; k < lanes; k += 2) {
      const t = this.eaLo + k * 4;
      this.writeMem(
        t >>> 0,
        (this.eaHi + (t > 0xffffffff ? 1 : 0)) >>> 0,
        lanes - k >= 2 ? 8 : 4,
        src[k]!,
        src[k + 1] ?? 0,
      );
    }
  }

  /** @internal */
  sseAlignCheck(insn: Instruction): void {
    if (insn.opKind[0] === OperandKind.Memory || insn.opKind[1] === OperandKind.Memory) {
      this.ea(insn);
      if ((this.eaLo & 15) !== 0) this.fault(VECTOR_GP, 0);
    }
  }

  /** @internal */
  sseFault(vector: number): never {
    this.fault(vector);
  }

  // ------------------------------------------------------------------ exception and interrupt delivery

  /**
   * Delivers an exception or interrupt (SDM 3A 6.12 / 6.14, real mode 20.1.4). `fault`: RIP
   * still points at the faulting instruction. #DF on a fault during delivery of a
   * contributory/page fault; shutdown (triple fault) on a fault during #DF delivery.
   */
  private deliverEvent(
    vector: number,
    errorCode: number,
    software: boolean,
    fault: boolean,
    type: number = fault ? EVENT_TYPE_HARDWARE_EXCEPTION : EVENT_TYPE_EXTERNAL,
    length = 0,
  ): void {
    // Only the injected event itself bypasses the exception bitmap; faults while delivering it do not.
    const injected = this.injecting;
    this.injecting = false;
    const ic = this.interception;
    if (ic === null) this.commitFaultRegisters(vector, fault);
    if (this.hooks.interrupt !== undefined && this.hooks.interrupt(this, vector, errorCode, software) === true) return;
    if (this.exceptionPolicy === 'stop' && (fault || (software && vector < 32 && vector !== 0x80))) {
      this.exceptionVector = vector;
      this.exceptionErrorCode = errorCode;
      this.stopRequested = true;
      this.stopReason = StopReason.Exception;
      return;
    }
    if (ic !== null) {
      // SDM 3C 25.2: the exception bitmap applies to hardware exceptions, INT1, INT3 and INTO — not to INT n.
      if (
        !injected &&
        vector < 32 &&
        (type === EVENT_TYPE_HARDWARE_EXCEPTION ||
          type === EVENT_TYPE_PRIVILEGED_SOFTWARE ||
          type === EVENT_TYPE_SOFTWARE_EXCEPTION) &&
        this.exceptionExits(ic, vector, errorCode, fault, type, length)
      ) {
        this.vmExited();
        return;
      }
      this.commitFaultRegisters(vector, fault);
    }
    if (this.deliveryDepth >= 2 || (this.deliveryDepth === 1 && vector === VECTOR_DF)) {
      this.vectoringInfo = 0;
      this.shutdown();
      return;
    }
    this.deliveryDepth++;
    this.takeDeliverySnapshot(length);
    // SDM 3B 17.3.1.1: a fault-class exception (not #DB) pushes RF = 1, so the restarted instruction
    // does not hit its instruction breakpoint again; the handler itself starts with RF clear.
    if (fault && vector !== VECTOR_DB && ((1 << vector) & FAULT_CLASS_VECTORS) !== 0) this.state.flagsValue |= FLAG_RF;
    this.vectoringInfo = (0x80000000 | (type << 8) | vector | (errorCode >= 0 ? 0x800 : 0)) >>> 0;
    this.vectoringErrorCode = errorCode >= 0 ? errorCode >>> 0 : 0;
    this.vectoringLength = length;
    try {
      this.deliverThroughTable(vector, errorCode, software);
      this.deliveryDepth = 0;
      this.vectoringInfo = 0;
      this.eventsDelivered++;
    } catch (e) {
      if (e !== FAULT) {
        // A VM exit (ABORT) ended the delivery: the next event starts from depth 0.
        this.vectoringInfo = 0;
        this.deliveryDepth = 0;
        throw e;
      }
      // Delivery is all-or-nothing: the nested fault sees the state from before the event
      // (for INT n / INT3 / INTO its RIP is the instruction's, SDM 3A 6.12.1.1).
      this.restoreDeliverySnapshot();
      const v2 = this.pendingVector;
      this.pendingVector = -1;
      if (this.deliveryDepth >= 2 || vector === VECTOR_DF) {
        this.vectoringInfo = 0;
        this.shutdown();
        return;
      }
      if (
        (contributory(vector) && contributory(v2)) ||
        (vector === VECTOR_PF && (contributory(v2) || v2 === VECTOR_PF))
      ) {
        this.deliveryDepth = 1;
        this.deliverEvent(VECTOR_DF, 0, false, true);
        this.deliveryDepth = 0;
        this.vectoringInfo = 0;
        return;
      }
      // Benign: deliver the second fault serially.
      this.deliveryDepth = 0;
      this.deliverEvent(v2, this.pendingError, false, true);
      this.vectoringInfo = 0;
    }
  }

  /**
   * Asks the interception whether an exception exits (exception bitmap), with the exit
   * qualification SDM 3C 28.2.1 gives it: CR2's value-to-be for #PF, DR6-style bits for #DB.
   * A software exception (INT1/INT3/INTO, already past the instruction) is reported with RIP on
   * the instruction, as the exit saves it.
   */
  private exceptionExits(
    ic: VmxInterception,
    vector: number,
    errorCode: number,
    fault: boolean,
    type: number,
    length: number,
  ): boolean {
    const s = this.state;
    const pf = fault && vector === VECTOR_PF && this.pfLinearValid;
    const qLo = pf ? this.pfLinearLo : fault && vector === VECTOR_DB ? this.pendingDr6 : 0;
    // SDM 3C 28.2.1: bits 63:32 of a #PF qualification are 0 outside 64-bit mode.
    const qHi = pf && this.bitness === 64 ? this.pfLinearHi : 0;
    const ripLo = s.ripLo;
    const ripHi = s.ripHi;
    if (length > 0) {
      const lo = ripLo - length;
      s.ripLo = lo >>> 0;
      if (lo < 0 && this.bitness === 64) s.ripHi = (ripHi - 1) >>> 0;
    }
    if (ic.exception(vector, Math.max(errorCode, 0), errorCode >= 0, type, length, qLo, qHi)) {
      // SDM 3C 28.1: the exception that exits leaves CR2, DR6 and DR7.GD alone.
      if (pf) this.pfLinearValid = false;
      if (fault && vector === VECTOR_DB) this.pendingDr6 = 0;
      return true;
    }
    s.ripLo = ripLo;
    s.ripHi = ripHi;
    return false;
  }

  /** Writes CR2 (#PF) or DR6 and DR7.GD (#DB) for a fault about to be delivered (SDM 3A 4.7, 17.2.3). */
  private commitFaultRegisters(vector: number, fault: boolean): void {
    if (!fault) return;
    const s = this.state;
    if (vector === VECTOR_PF && this.pfLinearValid) {
      s.cr2Lo = this.pfLinearLo;
      s.cr2Hi = this.pfLinearHi;
      this.pfLinearValid = false;
    } else if (vector === VECTOR_DB && this.pendingDr6 !== 0) {
      s.dr[12] = (s.dr[12]! | this.pendingDr6) >>> 0;
      // SDM 3B 17.2.4: the processor clears GD when it enters the #DB handler.
      if (this.pendingDr6 & DR6_BD) s.dr[14] = s.dr[14]! & ~DR7_GD;
      this.pendingDr6 = 0;
    }
  }

  private takeDeliverySnapshot(length: number): void {
    const s = this.state;
    const d = this.deliverySnapshot;
    let lo = s.ripLo - length;
    let hi = s.ripHi;
    if (lo < 0) {
      lo += 4294967296;
      hi = this.bitness === 64 ? (hi - 1) >>> 0 : 0;
    }
    d[0] = lo;
    d[1] = hi;
    d[2] = s.getFlags();
    d[3] = s.gpr32[8]!;
    d[4] = s.gpr32[9]!;
    d[5] = this.cpl;
    for (let i = 0; i < 6; i++) saveSegmentCache(s, i, d, 6 + 5 * i);
  }

  private restoreDeliverySnapshot(): void {
    const s = this.state;
    const d = this.deliverySnapshot;
    s.ripLo = d[0]!;
    s.ripHi = d[1]!;
    s.setFlags(d[2]!);
    s.gpr32[8] = d[3]!;
    s.gpr32[9] = d[4]!;
    for (let i = 0; i < 6; i++) restoreSegmentCache(s, i, d, 6 + 5 * i);
    this.stateChanged();
    this.cpl = d[5]!;
  }

  private shutdown(): void {
    this.deliveryDepth = 0;
    if (this.interception?.tripleFault()) {
      this.vmExited();
      return;
    }
    this.halted = false;
    this.stopRequested = true;
    this.stopReason = StopReason.Shutdown;
  }

  private deliverThroughTable(vector: number, errorCode: number, software: boolean): void {
    const s = this.state;
    const g = s.gpr32;
    if ((s.cr0 & CR0_PE_BIT) === 0) {
      // Real mode: 4-byte IVT entries (SDM 3A 20.1.4).
      if (vector * 4 + 3 > s.idtrLimit) this.fault(VECTOR_GP, 0);
      const flags = s.getFlags();
      this.push(2, flags, 0);
      this.push(2, s.segSelector[SEG_CS]!, 0);
      this.push(2, s.ripLo, 0);
      this.readMem((s.idtrBaseLo + vector * 4) >>> 0, 0, 4);
      const ip = this.vLo & 0xffff;
      const cs = this.vLo >>> 16;
      s.setFlags(flags & ~(FLAG_IF | FLAG_TF | FLAG_AC | FLAG_RF));
      this.loadSegment(SEG_CS, cs, true);
      s.ripLo = ip;
      return;
    }
    const long = (s.efer & EFER_LMA_BIT) !== 0;
    const entrySize = long ? 16 : 8;
    const ext = software ? 0 : 1;
    if (vector * entrySize + entrySize - 1 > s.idtrLimit) this.fault(VECTOR_GP, vector * 8 + 2 + ext);
    const t = s.idtrBaseLo + vector * entrySize;
    this.readSystem(t >>> 0, (s.idtrBaseHi + (t > 0xffffffff ? 1 : 0)) >>> 0, 8);
    const lo = this.vLo;
    const hi = this.vHi;
    let offHi = 0;
    if (long) {
      this.readSystem((t + 8) >>> 0, (s.idtrBaseHi + (t + 8 > 0xffffffff ? 1 : 0)) >>> 0, 4);
      offHi = this.vLo;
    }
    const type = (hi >>> 8) & 0x1f;
    const gdpl = (hi >>> 13) & 3;
    const present = (hi & (1 << 15)) !== 0;
    const gateType = type & 0xf;
    const is32 = (gateType & 8) !== 0;
    const isTrap = (gateType & 7) === 7;
    const isTaskGate = gateType === 5;
    if (
      type & 0x10 ||
      !(gateType === 0xe || gateType === 0xf || (!long && (gateType === 6 || gateType === 7 || isTaskGate)))
    ) {
      this.fault(VECTOR_GP, vector * 8 + 2 + ext);
    }
    // SDM 3A 6.12.1.1: software interrupts check the gate DPL against CPL.
    if (software && gdpl < this.cpl) this.fault(VECTOR_GP, vector * 8 + 2);
    if (!present) this.fault(VECTOR_NP, vector * 8 + 2 + ext);
    if (isTaskGate) {
      // SDM 2 "INT n" TASK-GATE: the gate names a TSS in the GDT; the switch nests (link, NT).
      if (!switchTask(this, lo >>> 16, TaskSwitchSource.IdtGate, ext, errorCode, 0)) throw ABORT;
      return;
    }
    const csSel = lo >>> 16;
    const offLo = ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0;
    if ((csSel & ~3) === 0) this.fault(VECTOR_GP, ext);
    if (!this.readDescriptor(csSel)) this.fault(VECTOR_GP, (csSel & ~3) + ext);
    const dLo = this.vLo;
    const dHi = this.vHi;
    const attr = Cpu.descAttr(dHi);
    const dpl = (attr >> 5) & 3;
    if (!(attr & AR_S) || !(attr & 8) || dpl > this.cpl) this.fault(VECTOR_GP, (csSel & ~3) + ext);
    if (!(attr & AR_P)) this.fault(VECTOR_NP, (csSel & ~3) + ext);
    if (long && !(attr & AR_L)) this.fault(VECTOR_GP, (csSel & ~3) + ext);
    // SDM 2 "INT n": a gate offset outside the new CS limit (or not canonical) is #GP(EXT).
    if (long ? !isCanonical(offHi, this.canonShift) : (is32 ? offLo : offLo & 0xffff) > Cpu.descLimit(dLo, dHi))
      this.fault(VECTOR_GP, ext);
    const flags = s.getFlags();
    const oldCs = s.segSelector[SEG_CS]!;
    const oldSs = s.segSelector[SEG_SS]!;
    const oldSpLo = g[8]!;
    const oldSpHi = g[9]!;
    const oldIpLo = s.ripLo;
    const oldIpHi = s.ripHi;
    const conforming = (attr & 4) !== 0;
    const v86 = (flags & FLAG_VM) !== 0;
    const ist = long ? hi & 7 : 0;
    const inner = !conforming && dpl < this.cpl;
    // SDM 2 "INT n": from virtual-8086 mode the handler must be non-conforming DPL-0 code.
    if (v86 && (conforming || dpl !== 0)) this.fault(VECTOR_GP, (csSel & ~3) + ext);
    if (long) {
      // 64-bit: always push SS:RSP, stack aligned to 16 (SDM 3A 6.14.2).
      if (inner || ist !== 0) this.switchStack(inner ? dpl : this.cpl, ist, ext);
      g[8] = (g[8]! & ~15) >>> 0;
      this.setCpl(inner ? dpl : this.cpl);
      this.setFlagsForGate(flags, isTrap);
      this.loadCs(csSel, dLo, dHi, inner ? dpl : this.cpl);
      this.push(8, oldSs, 0);
      this.push(8, oldSpLo, oldSpHi);
      this.push(8, flags, 0);
      this.push(8, oldCs, 0);
      this.push(8, oldIpLo, oldIpHi);
      if (errorCode >= 0) this.push(8, errorCode, 0);
      s.ripLo = offLo;
      s.ripHi = offHi;
      return;
    }
    const size = is32 ? 4 : 2;
    // Leaving virtual-8086 mode: the new SS is loaded as a protected-mode selector (SDM 3A 20.3.1.1).
    if (v86) s.flagsValue &= ~FLAG_VM;
    if (inner || v86) {
      this.switchStack(dpl, 0, ext);
      // SDM 2 "INT n": the new stack must hold the whole frame, else #SS(new SS + EXT).
      const frame = (5 + (errorCode >= 0 ? 1 : 0) + (v86 ? 4 : 0)) * size;
      if (!this.stackHasRoom(frame)) this.fault(VECTOR_SS, (s.segSelector[SEG_SS]! & ~3) | ext);
      if (v86) {
        this.push(size, s.segSelector[SEG_GS]!, 0);
        this.push(size, s.segSelector[SEG_FS]!, 0);
        this.push(size, s.segSelector[SEG_DS]!, 0);
        this.push(size, s.segSelector[SEG_ES]!, 0);
        for (const k of [SEG_GS, SEG_FS, SEG_DS, SEG_ES]) {
          s.segSelector[k] = 0;
          s.segAttr[k] = 0x10000;
        }
      }
      this.push(size, oldSs, 0);
      this.push(size, oldSpLo, 0);
    }
    this.push(size, flags, 0);
    this.push(size, oldCs, 0);
    this.push(size, oldIpLo, 0);
    if (errorCode >= 0) this.push(size, errorCode, 0);
    this.setFlagsForGate(flags & ~FLAG_VM, isTrap);
    this.loadCs(csSel, dLo, dHi, inner || v86 ? dpl : this.cpl);
    s.ripLo = size === 2 ? offLo & 0xffff : offLo;
    s.ripHi = 0;
  }

  private setFlagsForGate(flags: number, isTrap: boolean): void {
    // SDM 3A 6.12.1.3: TF, VM, RF, NT cleared; IF cleared for interrupt gates.
    let f = flags & ~(FLAG_TF | FLAG_VM | FLAG_RF | FLAG_NT);
    if (!isTrap) f &= ~FLAG_IF;
    this.state.setFlags(f);
  }
}

const ABORT_STRING = ABORT;
/** Parameters a call gate copies to the new stack (at most 31, SDM 3A 5.8.5); module scratch, no allocation. */
const CALL_GATE_PARAMS = new Uint32Array(32);

/** Copies segment register `seg` (selector and hidden base, limit, attributes) into `d[k..k+4]`. */
function saveSegmentCache(s: CpuState, seg: number, d: Float64Array, k: number): void {
  d[k] = s.segSelector[seg]!;
  d[k + 1] = s.segBaseLo[seg]!;
  d[k + 2] = s.segBaseHi[seg]!;
  d[k + 3] = s.segLimit[seg]!;
  d[k + 4] = s.segAttr[seg]!;
}

/** Loads segment register `seg` back from what {@link saveSegmentCache} put at `d[k..k+4]`. */
function restoreSegmentCache(s: CpuState, seg: number, d: Float64Array, k: number): void {
  s.segSelector[seg] = d[k]!;
  s.segBaseLo[seg] = d[k + 1]!;
  s.segBaseHi[seg] = d[k + 2]!;
  s.segLimit[seg] = d[k + 3]!;
  s.segAttr[seg] = d[k + 4]!;
}

/** POPA's popped values, committed after the last pop (module scratch: no per-instruction allocation). */
const POPA_VALUES = new Uint32Array(8);

/** The 32-bit value with its bytes reversed (BSWAP). */
function byteSwap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
/** gpr32 slots of EAX, EBX, ECX, EDX for CPUID results. */
const CPUID_SLOTS = [0, 6, 2, 4];

/** MSRs that hold linear addresses: WRMSR of a non-canonical value is #GP(0) (SDM 2 "WRMSR"). */
const CANONICAL_MSRS = new Set<number>([
  MSR_IA32_KERNEL_GS_BASE,
  MSR_IA32_LSTAR,
  MSR_IA32_SYSENTER_EIP,
  MSR_IA32_SYSENTER_ESP,
]);

/** MSRs that read as 0 until written (so OS probes do not #GP). */
const KNOWN_MSRS = new Set<number>([
  MSR_IA32_SYSENTER_CS,
  MSR_IA32_SYSENTER_ESP,
  MSR_IA32_SYSENTER_EIP,
  MSR_IA32_STAR,
  MSR_IA32_LSTAR,
  MSR_IA32_CSTAR,
  MSR_IA32_FMASK,
  MSR_IA32_KERNEL_GS_BASE,
  MSR_IA32_TSC_AUX,
  MSR_IA32_APIC_BASE,
  MSR_IA32_PAT,
  0x3a, // IA32_FEATURE_CONTROL
  0x1d9, // IA32_DEBUGCTL
  0x8b, // IA32_BIOS_SIGN_ID
]);

import { executeSse } from './sse.ts';
void FLAG_AF;
void SEG_DS;

/** The REP count register (CX/ECX/RCX by address size) is zero. */
function countIsZero(s: CpuState, asz: number): boolean {
  const g = s.gpr32;
  return asz === 8 ? (g[2]! | g[3]!) === 0 : asz === 4 ? g[2] === 0 : s.gpr16[4] === 0;
}

/** #DE, #TS, #NP, #SS, #GP: the contributory exceptions of the double-fault rules (SDM 3A 6.15, table 6-5). */
function contributory(v: number): boolean {
  return v === 0 || (v >= 10 && v <= 13);
}
