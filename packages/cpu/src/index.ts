// Named re-exports only: the public surface of @typevisor/cpu is exactly what this file names.
export {
  aluAdd,
  aluDiv,
  aluIncDec,
  aluLogic,
  aluMul,
  aluNeg,
  aluShift,
  aluShiftDouble,
  aluSub,
  ShiftOp,
} from './alu/alu.ts';
export { CpuError, type CpuErrorCode } from './errors.ts';
export { type InterruptController, type PortIo, StopReason } from './interpreter/contracts.ts';
export {
  type CodeHook,
  Cpu,
  type CpuHooks,
  type MsrHook,
  type CpuMode,
  type CpuOptions,
  type ExceptionPolicy,
  MSR_IA32_EFER,
  MSR_IA32_FMASK,
  MSR_IA32_FS_BASE,
  MSR_IA32_GS_BASE,
  MSR_IA32_KERNEL_GS_BASE,
  MSR_IA32_LSTAR,
  MSR_IA32_STAR,
} from './interpreter/cpu.ts';
export { type LoadedElf, loadElf64 } from './elf/elf64-loader.ts';
export { TaskSwitchSource } from './interpreter/task-switch.ts';
export {
  CPU_FEATURE_ADX,
  CPU_FEATURE_BMI1,
  CPU_FEATURE_BMI2,
  CPU_FEATURE_CLFLUSHOPT,
  CPU_FEATURE_CLWB,
  CPU_FEATURE_INVPCID,
  CPU_FEATURE_LZCNT,
  CPU_FEATURE_MOVBE,
  CPU_FEATURE_POPCNT,
  CPU_FEATURE_RDPID,
  CPU_FEATURE_SERIALIZE,
  CPU_FEATURE_SMAP,
  CPU_FEATURE_SSE42,
  CPU_FEATURE_WBNOINVD,
  CpuidModel,
} from './interpreter/cpuid-model.ts';
export {
  AR_DB,
  AR_G,
  AR_L,
  AR_P,
  AR_S,
  AR_UNUSABLE,
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
} from './state/cpu-state.ts';
export * from './state/flags.ts';
export {
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
} from './vmx/interception.ts';
