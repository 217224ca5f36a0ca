// Named re-exports only: the public surface of @typevisor/vmx is exactly what this file names.
export { VmxError, type VmxErrorCode } from './errors.ts';
export { FlatPhysicalMemory, type PhysicalMemory } from './memory/physical-memory.ts';
export { DEFAULT_VMX_FEATURES, type VmxFeatures } from './capabilities/features.ts';
export {
  type AllowedSettings,
  CR0_FIXED0_DEFAULT,
  CR4_FIXED0_DEFAULT,
  EPT_CAP_1GB_PAGES,
  EPT_CAP_2MB_PAGES,
  EPT_CAP_ACCESSED_DIRTY,
  EPT_CAP_ADVANCED_EXIT_INFO,
  EPT_CAP_EXECUTE_ONLY,
  EPT_CAP_INVEPT,
  EPT_CAP_INVEPT_ALL_CONTEXT,
  EPT_CAP_INVEPT_SINGLE_CONTEXT,
  EPT_CAP_MEMTYPE_UC,
  EPT_CAP_MEMTYPE_WB,
  EPT_CAP_WALK_LENGTH_4,
  EPT_CAP_WALK_LENGTH_5,
  FEATURE_CONTROL_VMX_READY,
  type MsrValue,
  VmxCapabilities,
  VPID_CAP_ALL_CONTEXT,
  VPID_CAP_INDIVIDUAL_ADDRESS,
  VPID_CAP_INVVPID,
  VPID_CAP_SINGLE_CONTEXT,
  VPID_CAP_SINGLE_CONTEXT_RETAINING_GLOBALS,
} from './capabilities/capabilities.ts';
export * from './capabilities/msr-index.ts';
export * from './vmcs/controls.ts';
export { VmcsField, type VmcsFieldName, FIELD_FEATURE, type FieldFeature } from './vmcs/fields.ts';
export {
  FIELD_TYPE_CONTROL,
  FIELD_TYPE_EXIT_INFORMATION,
  FIELD_TYPE_GUEST,
  FIELD_TYPE_HOST,
  FIELD_WIDTH_16,
  FIELD_WIDTH_32,
  FIELD_WIDTH_64,
  FIELD_WIDTH_NATURAL,
  type FieldInfo,
  type FieldType,
  type FieldWidth,
  fieldByEncoding,
  isHighAccess,
  slotOf,
  VMCS_FIELD_COUNT,
  VMCS_FIELDS,
} from './vmcs/field-encoding.ts';
export {
  LAUNCH_STATE_CLEAR,
  LAUNCH_STATE_LAUNCHED,
  VMCS_ABORT_OFFSET,
  VMCS_DATA_OFFSET,
  VMCS_LAUNCH_STATE_OFFSET,
  VMCS_REGION_SIZE,
  VMCS_REVISION_OFFSET,
  VMCS_SHADOW_INDICATOR,
  slotOffset,
} from './vmcs/vmcs-layout.ts';
export { VmcsAccess, VmcsCache } from './vmcs/vmcs.ts';
export type { VmxInstructionContext } from './instructions/context.ts';
export {
  applyOutcomeToRflags,
  FAULT_GP0,
  FAULT_UD,
  RFLAGS_VMX_STATUS_MASK,
  VM_DONE,
  VM_ENTERED,
  VM_FAIL_INVALID,
  VM_SUCCEED,
  type VmEntered,
  type VmxDone,
  type VmEntryFailed,
  type VmFailInvalid,
  type VmFailValid,
  VmInstructionError,
  type VmSucceed,
  type VmxExitRequest,
  type VmxFault,
  type VmxOutcome,
} from './instructions/outcome.ts';
export {
  INVEPT_ALL_CONTEXT,
  INVEPT_SINGLE_CONTEXT,
  INVVPID_ALL_CONTEXT,
  INVVPID_INDIVIDUAL_ADDRESS,
  INVVPID_SINGLE_CONTEXT,
  INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS,
  Vmx,
  type VmxOptions,
  type VmExitOutcome,
  type VmxTlbPort,
} from './instructions/vmx.ts';
export {
  ENTRY_CHECKS,
  type EntryCheck,
  type EntryCheckArea,
  type EntryCheckFailure,
  runEntryChecks,
} from './entry/entry-checks.ts';
export * from './exit/exit-reason.ts';
export { VmxControls } from './vmcs/control-view.ts';
export {
  CR_ACCESS_CLTS,
  CR_ACCESS_LMSW,
  CR_ACCESS_MOV_FROM_CR,
  CR_ACCESS_MOV_TO_CR,
  cr3LoadExits,
  crAccessQualification,
  crWriteExits,
  EPT_VIOLATION_EXECUTABLE,
  EPT_VIOLATION_FETCH,
  EPT_VIOLATION_LINEAR_VALID,
  EPT_VIOLATION_NMI_UNBLOCKING,
  EPT_VIOLATION_READ,
  EPT_VIOLATION_READABLE,
  EPT_VIOLATION_TRANSLATED,
  EPT_VIOLATION_WRITABLE,
  EPT_VIOLATION_WRITE,
  exceptionExits,
  guestTsc,
  ioExits,
  ioQualification,
  movDrQualification,
  msrExits,
  shadowedCr,
} from './exit/exit-conditions.ts';
export {
  VMX_ABORT_HOST_PDPTE,
  VMX_ABORT_LOADING_HOST_MSRS,
  VMX_ABORT_MACHINE_CHECK,
  VMX_ABORT_SAVING_GUEST_MSRS,
  VMX_ABORT_VMCS_CORRUPTED,
  VmExit,
} from './exit/vm-exit.ts';
export {
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_LDTR,
  SEG_SS,
  SEG_TR,
  SegmentState,
  type VmxMsrPort,
  type VmxProcessorPort,
  VmxProcessorState,
} from './processor/processor-state.ts';
export { loadGuestState, loadHostState, saveGuestState } from './processor/state-transfer.ts';
export { writeBaseline as writeFlat64Vmcs } from './testing/baseline-vmcs.ts';
export {
  cltsExits,
  cr3StoreExits,
  cr8Exits,
  type ExitingInstruction,
  INSTRUCTION_EXITS,
  INSTRUCTION_RAISES_UD,
  INSTRUCTION_RUNS,
  type InstructionExitRule,
  instructionExit,
  lmswExits,
} from './exit/instruction-exits.ts';
export { type BoundaryEvents, boundaryExit, NO_EXIT, preemptionTimerAfter } from './exit/event-exits.ts';
export { PauseLoopDetector } from './exit/pause-loop.ts';
export { readCr8Shadow, usesTprShadow, VTPR_OFFSET, writeCr8Shadow } from './exit/tpr-shadow.ts';
export {
  conditionalInstructionInformation,
  type DecodedOperands,
  displacementQualification,
  INSTRUCTION_INFO_BASE_INVALID,
  INSTRUCTION_INFO_INDEX_INVALID,
  INSTRUCTION_INFO_REGISTER,
  invpcidInformation,
  memoryOperandInformation,
  vmxInstructionInformation,
} from './exit/instruction-information.ts';
export { type CpuStateSync, NonRootExits, type VmxInstructionOperands } from './binding/non-root-exits.ts';
export {
  createRootInstructionHook,
  HOOK_CONTINUE,
  HOOK_ENTERED,
  HOOK_FAULT,
  type RootCpuPort,
  type RootInstructionOperands,
} from './binding/root-instruction-hook.ts';
export { configureEpt, createEptTarget, type EptTarget } from './binding/ept-pointer.ts';
export {
  attachVmxToCpu,
  copyFromCpu,
  copyToCpu,
  type GlueCpu,
  type GlueCpuState,
  type VmxCpuAttachment,
} from './binding/cpu-glue.ts';
