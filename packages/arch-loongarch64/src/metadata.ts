/**
 * The two LoongArch64 paging modes this package drives, both with 4 KiB pages
 * and 512-entry tables (the layout upstream's PWCL/PWCH describe).
 *
 * @module
 */

import type { PagingMetaData } from '@page-table/core';
import { LA64_PTE } from './pte.js';
import { PWCH_3LEVEL, PWCH_4LEVEL, PWCL_3LEVEL, PWCL_4LEVEL } from './registers.js';

/** A LoongArch64 paging mode plus the PWCL/PWCH values that make LDDIR/LDPTE walk it. */
export interface LA64PagingMetaData extends PagingMetaData {
  /** The PWCL value for this layout. */
  readonly pwcl: number;
  /** The PWCH value for this layout. */
  readonly pwch: number;
}

/**
 * 4 levels (Dir3 → Dir2 → Dir1 → PT), 48-bit VA and PA: upstream's
 * `LA64MetaData` since 0.5.2, and this package's default.
 */
export const LA64_4LEVEL_METADATA: LA64PagingMetaData = {
  name: 'loongarch64 4-level',
  levels: 4,
  paBits: 48,
  vaBits: 48,
  vaCheck: 'sign-extend',
  pte: LA64_PTE,
  pwcl: PWCL_4LEVEL,
  pwch: PWCH_4LEVEL,
};

/** 3 levels (Dir2 → Dir1 → PT), 39-bit VA, 48-bit PA: upstream 0.5.1's layout. */
export const LA64_3LEVEL_METADATA: LA64PagingMetaData = {
  name: 'loongarch64 3-level',
  levels: 3,
  paBits: 48,
  vaBits: 39,
  vaCheck: 'sign-extend',
  pte: LA64_PTE,
  pwcl: PWCL_3LEVEL,
  pwch: PWCH_3LEVEL,
};

/** The default paging mode ({@link LA64_4LEVEL_METADATA}). */
export const LA64_METADATA: LA64PagingMetaData = LA64_4LEVEL_METADATA;
