// Named re-exports only: the public surface of @typevisor/mmu is exactly what this file names.
export {
  type GuestLinearAddress,
  type GuestPhysicalAddress,
  guestLinear,
  guestPhysical,
  type HostOffset,
  hostOffset,
} from './addresses.ts';
export { EptState, EptMemoryType } from './ept/ept-state.ts';
export {
  EPT_ACCESSED,
  EPT_DIRTY,
  EPT_EXECUTE,
  EPT_IGNORE_PAT,
  EPT_PAGE_SIZE,
  EPT_QUAL_EXECUTABLE,
  EPT_QUAL_FETCH,
  EPT_QUAL_LINEAR_VALID,
  EPT_QUAL_READ,
  EPT_QUAL_READABLE,
  EPT_QUAL_NO_EXECUTE_LINEAR,
  EPT_QUAL_TRANSLATED,
  EPT_QUAL_USER_LINEAR,
  EPT_QUAL_WRITABLE_LINEAR,
  EPT_QUAL_USER_EXECUTABLE,
  EPT_QUAL_WRITABLE,
  EPT_QUAL_WRITE,
  EPT_READ,
  EPT_USER_EXECUTE,
  EPT_WRITE,
  EPTP_AD_ENABLE,
  EPTP_WALK_LENGTH_SHIFT,
} from './ept/ept-state.ts';
export { eptWalk } from './ept/ept-walk.ts';
export { MmuError, type MmuErrorCode } from './errors.ts';
export { LinearMemory } from './linear/linear-memory.ts';
export {
  type MmioHandler,
  PAGE_SIZE,
  PHYSICAL_ADDRESS_LIMIT,
  PhysicalMemory,
  RAM_CHUNK_SIZE,
  RegionKind,
  type RegionInfo,
} from './memory/physical-memory.ts';
export {
  accessErrorBits,
  checkAccess,
  RIGHT_NO_EXECUTE,
  RIGHT_SHADOW_STACK,
  RIGHT_USER,
  RIGHT_WRITABLE,
} from './paging/access-rights.ts';
export {
  ACCESS_AC,
  ACCESS_FETCH,
  ACCESS_IMPLICIT_SUPERVISOR,
  ACCESS_NO_AD_UPDATE,
  ACCESS_READ,
  ACCESS_SHADOW_STACK,
  ACCESS_USER,
  ACCESS_WRITE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_CET,
  CR4_LA57,
  CR4_PAE,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PKE,
  CR4_PKS,
  CR4_PSE,
  CR4_SMAP,
  CR4_SMEP,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  PF_FETCH,
  PF_PK,
  PF_PRESENT,
  PF_RSVD,
  PF_SHADOW_STACK,
  PF_USER,
  PF_WRITE,
  VECTOR_GP,
  VECTOR_PF,
} from './paging/control-bits.ts';
export { describeEntry } from './paging/describe-entry.ts';
export { loadPaePdptes, pageWalk } from './paging/page-walk.ts';
export { PageTableBuilder, type TableFormat } from './paging/page-table-builder.ts';
export type { PagingMemory } from './paging/paging-memory.ts';
export { PagingMode, PagingState } from './paging/paging-state.ts';
export {
  DescriptorFields,
  decodeDescriptor,
  encodeDescriptor,
  makeSegmentDescriptor,
  SystemType,
  TYPE_ACCESSED,
  TYPE_CODE,
  TYPE_EXPAND_DOWN_OR_CONFORMING,
  TYPE_WRITABLE_OR_READABLE,
} from './segmentation/descriptor.ts';
export { checkCanonical, checkSegmentAccess, linearAddress, SegAccess } from './segmentation/segment-access.ts';
export {
  AR_UNUSABLE,
  SegmentFault,
  SegmentRegister,
  SegReg,
  VECTOR_GP_SEG,
  VECTOR_NP,
  VECTOR_SS,
  VECTOR_TS,
} from './segmentation/segment-register.ts';
export {
  CpuMode,
  type DescriptorTableAccess,
  loadSegment,
  SegmentationContext,
} from './segmentation/selector-load.ts';
export { InveptType, InvpcidType, InvvpidType, Tlb } from './tlb/tlb.ts';
export { MAX_TRACE_ENTRIES, type TracedEntry, TraceKind, WalkResult, WalkStatus } from './paging/walk-result.ts';
