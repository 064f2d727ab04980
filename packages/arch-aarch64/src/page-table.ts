/**
 * AArch64 page tables on the generic walker.
 *
 * @module
 */

import { type AdoptOptions, PageTable64, type PageTableOptions, type PagingHandler } from '@page-table/core';
import { type AddrLike, pa } from '@page-table/memory-addr';
import { type A64Range, a64Metadata } from './metadata.js';
import type { A64PTEOptions } from './pte.js';

/** Options of {@link A64PageTable.create}: the walker's options plus the regime, MAIR slots and VA range. */
export interface A64PageTableOptions extends PageTableOptions, A64PTEOptions {
  /** The VA range this table translates (default `both`, as upstream). */
  range?: A64Range;
}

/** Options of {@link A64PageTable.fromRoot}: adoption options plus the regime, MAIR slots and VA range. */
export interface A64AdoptOptions extends AdoptOptions, A64PTEOptions {
  /** The VA range this table translates (default `both`, as upstream). */
  range?: A64Range;
}

/**
 * A 4-level AArch64 stage-1 translation table (4 KiB granule, 48-bit VA and
 * PA): page_table_multiarch's `A64PageTable`. Maps 4 KiB pages, 2 MiB blocks
 * (level 2) and 1 GiB blocks (level 1).
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
    return new A64PageTable(a64Metadata(options), handler, PageTable64.allocRoot(handler), true, options);
  }

  /** Adopts tables already in memory (the BADDR of a guest's TTBR0_EL1 or TTBR1_EL1). */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: A64AdoptOptions): A64PageTable {
    return new A64PageTable(a64Metadata(options), handler, pa(root), options?.owned ?? false, options);
  }
}
