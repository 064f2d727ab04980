/**
 * LoongArch64 page tables on the generic walker.
 *
 * @module
 */

import { type AdoptOptions, PageTable64, type PageTableOptions, type PagingHandler } from '@page-table/core';
import { type AddrLike, type PhysAddr, pa } from '@page-table/memory-addr';
import { LA64_3LEVEL_METADATA, LA64_4LEVEL_METADATA, type LA64PagingMetaData } from './metadata.js';

/** The number of table levels: 4 (48-bit VA, the default) or 3 (39-bit VA). */
export type LA64Levels = 3 | 4;

/** Options of {@link LA64PageTable.create}. */
export interface LA64PageTableOptions extends PageTableOptions {
  /** Table levels; default 4. */
  levels?: LA64Levels;
}

/** Options of {@link LA64PageTable.fromRoot}. */
export interface LA64AdoptOptions extends AdoptOptions {
  /** Table levels of the adopted tree (must match the PWCL/PWCH it was built for); default 4. */
  levels?: LA64Levels;
}

/** The metadata of a level count; throws `RangeError` for anything but 3 or 4. */
export function la64Metadata(levels: LA64Levels = 4): LA64PagingMetaData {
  if (levels === 4) return LA64_4LEVEL_METADATA;
  if (levels === 3) return LA64_3LEVEL_METADATA;
  throw new RangeError(`loongarch64: levels must be 3 or 4, got ${String(levels)}`);
}

/**
 * A LoongArch64 page table: one tree for one half of the address space. The
 * OS loads its root into PGDL (VA bit 63 = 0) or PGDH (bit 63 = 1); one
 * table may serve both, and {@link pwcl} / {@link pwch} are the values that
 * make the TLB-refill handler's LDDIR/LDPTE walk this layout.
 */
export class LA64PageTable extends PageTable64 {
  /** PWCL for this table's layout. */
  readonly pwcl: number;
  /** PWCH for this table's layout. */
  readonly pwch: number;

  constructor(
    meta: LA64PagingMetaData,
    handler: PagingHandler,
    root: PhysAddr,
    owned: boolean,
    options?: PageTableOptions,
  ) {
    super(meta, handler, root, owned, options);
    this.pwcl = meta.pwcl;
    this.pwch = meta.pwch;
  }

  /** Allocates an empty root table (4 levels unless `options.levels` says 3). */
  static create(handler: PagingHandler, options?: LA64PageTableOptions): LA64PageTable {
    const meta = la64Metadata(options?.levels);
    return new LA64PageTable(meta, handler, PageTable64.allocRoot(handler), true, options);
  }

  /** Adopts tables already in memory (a guest's PGDL or PGDH); not owned unless `options.owned`. */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: LA64AdoptOptions): LA64PageTable {
    const meta = la64Metadata(options?.levels);
    return new LA64PageTable(meta, handler, pa(root), options?.owned ?? false, options);
  }
}
