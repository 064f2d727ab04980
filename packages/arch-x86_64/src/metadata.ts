/**
 * The x86_64 paging modes: 4-level (48-bit VAs) and 5-level (LA57, 57-bit VAs).
 *
 * @module
 */

import type { PagingMetaData } from '@page-table/core';
import { X64_PTE } from './pte.js';

/**
 * 4-level paging (CR4.PAE = 1, CR4.LA57 = 0, EFER.LME = 1): PML4 → PDPT → PD → PT.
 * VAs are 48-bit canonical (bits 47..63 equal), PAs at most 52 bits.
 */
export const X64_METADATA: PagingMetaData = {
  name: 'x86_64 4-level',
  levels: 4,
  paBits: 52,
  vaBits: 48,
  vaCheck: 'sign-extend',
  pte: X64_PTE,
};

/**
 * 5-level paging (CR4.LA57 = 1): PML5 → PML4 → PDPT → PD → PT.
 * VAs are 57-bit canonical (bits 56..63 equal), PAs at most 52 bits.
 */
export const X64_LA57_METADATA: PagingMetaData = {
  name: 'x86_64 5-level (LA57)',
  levels: 5,
  paBits: 52,
  vaBits: 57,
  vaCheck: 'sign-extend',
  pte: X64_PTE,
};
