/**
 * LoongArch64 page tables for `@page-table/core`: the entry codec, the 3- and
 * 4-level paging modes and the PWCL/PWCH values an OS programs for them; and
 * `LA64Mmu`, the emulator MMU (access-checked translation with the exact
 * faults, the TLB, its refill and its maintenance instructions).
 *
 * @module
 */

export {
  estatCode,
  estatWithFault,
  faultFromEstat,
  formatLA64Fault,
  LA64AdeSubcode,
  LA64Ecode,
  type LA64Fault,
  type LA64FaultName,
  la64Fault,
  la64FaultName,
  tlbehiVppn,
} from './fault.js';
export { LA64_3LEVEL_METADATA, LA64_4LEVEL_METADATA, LA64_METADATA, type LA64PagingMetaData } from './metadata.js';
export {
  type LA64DebugTranslation,
  LA64Mmu,
  type LA64MmuOptions,
  type LA64MmuRegisters,
  type LA64TranslationPath,
} from './mmu.js';
export { describeLA64Fault, LA64_MMU_DEFAULT_CRMD, LA64_MMU_INFO } from './mmu-report.js';
export {
  type LA64AdoptOptions,
  type LA64Levels,
  LA64PageTable,
  type LA64PageTableOptions,
  la64Metadata,
} from './page-table.js';
export { LA64_PHYS_ADDR_MASK, LA64_PTE, LA64PTE, LA64PTEFlags } from './pte.js';
export { type LA64WalkLayout, la64WalkLayout } from './refill.js';
export {
  PWCH_3LEVEL,
  PWCH_4LEVEL,
  PWCL_3LEVEL,
  PWCL_4LEVEL,
  type PwchFields,
  type PwclFields,
  pwch,
  pwcl,
} from './registers.js';
export type { LA64TlbEntry, LA64TlbEntryInfo, LA64TlbGeometry } from './tlb.js';
