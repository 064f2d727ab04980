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
 * The VA widths (64 - TCR_ELx.TnSZ) a 4 KiB-granule table translates here:
 * 36 to 48 bits. 40..48 (TnSZ 16..24) start the walk at level 0 (4 levels),
 * 36..39 (TnSZ 25..28) at level 1 (3 levels, 39 as Android and many Linux
 * configurations use). The top table indexes VA[vaBits-1 : its shift]: 512
 * entries for 48 and 39, fewer otherwise (42 bits: VA[41:39], 8 entries;
 * 47 bits: 256).
 */
export type A64VaBits = 36 | 37 | 38 | 39 | 40 | 41 | 42 | 43 | 44 | 45 | 46 | 47 | 48;

/** Smallest and largest {@link A64VaBits}. */
export const A64_VA_BITS = {
  /** 36 bits (TnSZ = 28): three levels from level 1, whose table indexes VA[35:30] (64 entries). */
  min: 36,
  /** 48 bits: TnSZ = 16, four full 512-entry levels. */
  max: 48,
} as const;

/** Options of {@link A64PageTable.create}: the walker's options plus the regime, MAIR slots, VA range and width. */
export interface A64PageTableOptions extends PageTableOptions, A64PTEOptions {
  /** The VA range this table translates (default `both`, as upstream). */
  range?: A64Range;
  /** VA bits (64 - TnSZ): 36..48, default 48. */
  vaBits?: A64VaBits;
}

/** Options of {@link A64PageTable.fromRoot}: adoption options plus the regime, MAIR slots, VA range and width. */
export interface A64AdoptOptions extends AdoptOptions, A64PTEOptions {
  /** The VA range this table translates (default `both`, as upstream). */
  range?: A64Range;
  /** VA bits (64 - TnSZ): 36..48, default 48. */
  vaBits?: A64VaBits;
}

const byWidth = new WeakMap<PagingMetaData, Map<number, PagingMetaData>>();

/**
 * The metadata of a table with these options: {@link a64Metadata}'s, with
 * the VA width and the level count it starts at (4 from 40 bits, 3 below;
 * one frozen object per option set).
 *
 * @throws RangeError for a VA width outside 36..48.
 */
export function a64TableMetadata(
  options: (A64PTEOptions & { range?: A64Range; vaBits?: A64VaBits }) | undefined,
): PagingMetaData {
  const meta = a64Metadata(options);
  const bits: number = options?.vaBits ?? 48;
  if (bits === 48) return meta;
  if (!(Number.isInteger(bits) && bits >= A64_VA_BITS.min && bits <= A64_VA_BITS.max)) {
    throw new RangeError(
      `aarch64: ${String(bits)}-bit VAs: with a 4 KiB granule the tables take 36..48 bits (TnSZ 16..28)`,
    );
  }
  let widths = byWidth.get(meta);
  if (widths === undefined) {
    widths = new Map();
    byWidth.set(meta, widths);
  }
  let m = widths.get(bits);
  if (m === undefined) {
    const levels = bits > 39 ? 4 : 3;
    m = Object.freeze({
      ...meta,
      name: meta.name.replace('4-level', `${levels}-level ${bits}-bit`),
      levels,
      vaBits: bits,
    });
    widths.set(bits, m);
  }
  return m;
}

/**
 * A 4-level AArch64 stage-1 translation table (4 KiB granule, 48-bit VA and
 * PA): page_table_multiarch's `A64PageTable`. Maps 4 KiB pages, 2 MiB blocks
 * (level 2) and 1 GiB blocks (level 1). With `vaBits` (64 - TnSZ) below 48
 * it is the table of that VA range: 4 levels down to 40 bits, 3 levels
 * (starting at level 1) from 39, its top table partial (fewer than 512
 * entries) except at 39. The root is still a 4 KiB-aligned frame.
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
