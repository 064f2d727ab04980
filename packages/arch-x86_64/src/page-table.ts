/**
 * Page tables for the two x86_64 paging modes.
 *
 * @module
 */

import { type AdoptOptions, PageTable64, type PageTableOptions, type PagingHandler } from '@page-table/core';
import { type AddrLike, pa } from '@page-table/memory-addr';
import { X64_LA57_METADATA, X64_METADATA } from './metadata.js';

/**
 * An x86_64 4-level page table (upstream `X64PageTable`); its root is the
 * PML4, whose physical address goes into CR3.
 */
export class X64PageTable extends PageTable64 {
  /** Allocates an empty root table (a zeroed PML4). */
  static create(handler: PagingHandler, options?: PageTableOptions): X64PageTable {
    return new X64PageTable(X64_METADATA, handler, PageTable64.allocRoot(handler), true, options);
  }

  /** Adopts 4-level tables already in memory, e.g. a guest's CR3 (not freed on `destroy` unless `owned`). */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: AdoptOptions): X64PageTable {
    return new X64PageTable(X64_METADATA, handler, pa(root), options?.owned ?? false, options);
  }
}

/**
 * An x86_64 5-level (LA57) page table; its root is the PML5, whose physical
 * address goes into CR3 while CR4.LA57 = 1. Not in the Rust crate.
 */
export class X64PageTable5 extends PageTable64 {
  /** Allocates an empty root table (a zeroed PML5). */
  static create(handler: PagingHandler, options?: PageTableOptions): X64PageTable5 {
    return new X64PageTable5(X64_LA57_METADATA, handler, PageTable64.allocRoot(handler), true, options);
  }

  /** Adopts 5-level tables already in memory, e.g. a guest's CR3 (not freed on `destroy` unless `owned`). */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: AdoptOptions): X64PageTable5 {
    return new X64PageTable5(X64_LA57_METADATA, handler, pa(root), options?.owned ?? false, options);
  }
}
