/**
 * x86_64 page tables: the entry codec, the 4-level and 5-level (LA57) paging
 * modes, page-table classes for both, and the emulator MMU (`X64Mmu`) with
 * its fault records and register bits.
 *
 * @module
 */

export type { X64Fault, X64FaultReason, X64GeneralProtection, X64PageFault, X64PfErrorFields } from './fault.js';
export {
  decodePfErrorCode,
  encodePfErrorCode,
  formatPfErrorCode,
  formatX64Fault,
  isPageFault,
  X64_VECTOR_GP,
  X64_VECTOR_PF,
  X64PfError,
} from './fault.js';
export { X64_LA57_METADATA, X64_METADATA } from './metadata.js';
export type { X64AdUpdate, X64DebugTranslation, X64MmuOptions, X64PagingMode } from './mmu.js';
export { X64Mmu } from './mmu.js';
export { X64MmuRegisters, x64PagingMode } from './mmu-config.js';
export { describeX64Fault, X64_MMU_DEFAULTS, X64_MMU_INFO } from './mmu-report.js';
export { X64PageTable, X64PageTable5 } from './page-table.js';
export { X64_PHYS_ADDR_MASK, X64_PTE, X64Bits, X64PTE } from './pte.js';
export { X64_RESET, X64Cr0, X64Cr3, X64Cr4, X64Efer, X64Rflags } from './registers.js';
