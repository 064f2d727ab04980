/**
 * x86_64 page tables: the entry codec, the 4-level and 5-level (LA57) paging
 * modes, and page-table classes for both.
 *
 * @module
 */

export { X64_LA57_METADATA, X64_METADATA } from './metadata.js';
export { X64PageTable, X64PageTable5 } from './page-table.js';
export { X64_PHYS_ADDR_MASK, X64_PTE, X64Bits, X64PTE } from './pte.js';
