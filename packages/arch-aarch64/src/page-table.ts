/**
 * AArch64 page tables on the generic walker.
 *
 * @module
 */

import {
  type AdoptOptions,
  PageTable64,
  type PageTableOptions,
  type PagingHandler,
  type PagingMetaData,
} from '@page-table/core';
import { type AddrLike, pa } from '@page-table/memory-addr';
import { type A64Range, a64Metadata } from './metadata.js';
import type { A64PTEOptions } from './pte.js';

/**
 * The VA widths a 4 KiB-granule table with full 512-entry tables at every
 * level translates: 48 bits (TCR_ELx.TnSZ = 16, the walk starts at level 0,
 * 4 levels) or 39 bits (TnSZ = 25, starts at level 1, 3 levels, as Android
 * and many Linux configurations use).
 */
export type A64VaBits = 39 | 48;

/** Options of {@link A64PageTable.create}: the walker's options plus the regime, MAIR slots, VA range and width. */
export interface A64PageTableOptions extends PageTableOptions, A64PTEOptions {
  /** The VA range this table translates (default `both`, as upstream). */
  range?: A64Range;
  /** VA bits (64 - TnSZ): 48 (default) or 39. */
  vaBits?: A64VaBits;
}

/** Options of {@link A64PageTable.fromRoot}: adoption options plus the regime, MAIR slots, VA range and width. */
export interface A64AdoptOptions extends AdoptOptions, A64PTEOptions {
  /** The VA range this table translates (default `both`, as upstream). */
  range?: A64Range;
  /** VA bits (64 - TnSZ): 48 (default) or 39. */
  vaBits?: A64VaBits;
}

const threeLevel = new WeakMap<PagingMetaData, PagingMetaData>();

/**
 * The metadata of a table with these options: {@link a64Metadata}'s, with 3
 * levels and 39 VA bits for `vaBits: 39` (one frozen object per option set).
 *
 * @throws RangeError for a VA width other than 39 or 48.
 */
export function a64TableMetadata(
  options: (A64PTEOptions & { range?: A64Range; vaBits?: A64VaBits }) | undefined,
): PagingMetaData {
  const meta = a64Metadata(options);
  const bits = options?.vaBits ?? 48;
  if (bits === 48) return meta;
  if (bits !== 39)
    throw new RangeError(`aarch64: ${String(bits)}-bit VAs need a partial top table (4 KiB granule: 39 or 48 bits)`);
  let m = threeLevel.get(meta);
  if (m === undefined) {
    m = Object.freeze({ ...meta, name: meta.name.replace('4-level', '3-level 39-bit'), levels: 3, vaBits: 39 });
    threeLevel.set(meta, m);
  }
  return m;
}

/**
 * A 4-level AArch64 stage-1 translation table (4 KiB granule, 48-bit VA and
 * PA): page_table_multiarch's `A64PageTable`. Maps 4 KiB pages, 2 MiB blocks
 * (level 2) and 1 GiB blocks (level 1). With `vaBits: 39` it is the 3-level
 * table of a 39-bit VA range (TnSZ = 25): the walk starts at level 1.
 *
 * One instance is the table of one TTBR. With `range: 'lower'` (TTBR0) or
 * `'upper'` (TTBR1) it takes only VAs of that range and reports them so.
 * By default (`'both'`, as upstream) it accepts either range, and `0x1000`
 * and `0xffff_0000_0000_1000` name the same entry. An OS with both ranges
 * keeps two instances, one per register.
 */
export class A64PageTable extends PageTable64 {
  /** Allocates an empty root table (for TTBR0_ELx or TTBR1_EL1). */
  static create(handler: PagingHandler, options?: A64PageTableOptions): A64PageTable {
    return new A64PageTable(a64TableMetadata(options), handler, PageTable64.allocRoot(handler), true, options);
  }

  /** Adopts tables already in memory (the BADDR of a guest's TTBR0_EL1 or TTBR1_EL1). */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: A64AdoptOptions): A64PageTable {
    return new A64PageTable(a64TableMetadata(options), handler, pa(root), options?.owned ?? false, options);
  }
}
