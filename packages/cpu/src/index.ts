// Named re-exports only: the public surface of @typevisor/cpu is exactly what this file names.
export {
  ConditionalExit,
  CrAccess,
  UnconditionalExit,
  type VmxInstructionHook,
  VmxHookResult,
  type VmxInterception,
  VmxOperation,
  type VmxOperands,
} from './vmx/interception.ts';
