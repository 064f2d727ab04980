/**
 * Page tables for each RV64 paging mode.
 *
 * @module
 */

import { type AdoptOptions, PageTable64, type PageTableOptions, type PagingHandler } from '@page-table/core';
import { type AddrLike, pa } from '@page-table/memory-addr';
import { svMetadata } from './metadata.js';
import type { Rv64PTEOptions } from './pte.js';
import { SatpMode, satp as satpValue } from './satp.js';

/** Options of `create`: the walker's options plus the codec's memory-type mode (`xuantie` or `svpbmt`). */
export interface RiscvPageTableOptions extends PageTableOptions, Rv64PTEOptions {}

/** Options of `fromRoot`: the walker's adoption options plus the codec's memory-type mode. */
export interface RiscvAdoptOptions extends AdoptOptions, Rv64PTEOptions {}

/** A 3-level Sv39 page table (`satp.MODE` = 8): 39-bit VAs, 1 GiB leaves in the root, 2 MiB and 4 KiB below. */
export class Sv39PageTable extends PageTable64 {
  /** The `satp.MODE` that selects this format. */
  static readonly SATP_MODE = SatpMode.Sv39;
  /** Allocates an empty root table. */
  static create(handler: PagingHandler, options?: RiscvPageTableOptions): Sv39PageTable {
    return new Sv39PageTable(svMetadata('Sv39', options), handler, PageTable64.allocRoot(handler), true, options);
  }
  /** Adopts tables already in memory (a guest's `satp` root, see `parseSatp`). */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: RiscvAdoptOptions): Sv39PageTable {
    return new Sv39PageTable(svMetadata('Sv39', options), handler, pa(root), options?.owned ?? false, options);
  }
  /** The `satp` value that makes this table the active address space `asid`. */
  satp(asid = 0): bigint {
    return satpValue(SatpMode.Sv39, asid, this.rootPaddr);
  }
}

/** A 4-level Sv48 page table (`satp.MODE` = 9): 48-bit VAs, 1 GiB, 2 MiB and 4 KiB leaves. */
export class Sv48PageTable extends PageTable64 {
  /** The `satp.MODE` that selects this format. */
  static readonly SATP_MODE = SatpMode.Sv48;
  /** Allocates an empty root table. */
  static create(handler: PagingHandler, options?: RiscvPageTableOptions): Sv48PageTable {
    return new Sv48PageTable(svMetadata('Sv48', options), handler, PageTable64.allocRoot(handler), true, options);
  }
  /** Adopts tables already in memory (a guest's `satp` root, see `parseSatp`). */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: RiscvAdoptOptions): Sv48PageTable {
    return new Sv48PageTable(svMetadata('Sv48', options), handler, pa(root), options?.owned ?? false, options);
  }
  /** The `satp` value that makes this table the active address space `asid`. */
  satp(asid = 0): bigint {
    return satpValue(SatpMode.Sv48, asid, this.rootPaddr);
  }
}

/** A 5-level Sv57 page table (`satp.MODE` = 10): 57-bit VAs, 1 GiB, 2 MiB and 4 KiB leaves. */
export class Sv57PageTable extends PageTable64 {
  /** The `satp.MODE` that selects this format. */
  static readonly SATP_MODE = SatpMode.Sv57;
  /** Allocates an empty root table. */
  static create(handler: PagingHandler, options?: RiscvPageTableOptions): Sv57PageTable {
    return new Sv57PageTable(svMetadata('Sv57', options), handler, PageTable64.allocRoot(handler), true, options);
  }
  /** Adopts tables already in memory (a guest's `satp` root, see `parseSatp`). */
  static fromRoot(handler: PagingHandler, root: AddrLike, options?: RiscvAdoptOptions): Sv57PageTable {
    return new Sv57PageTable(svMetadata('Sv57', options), handler, pa(root), options?.owned ?? false, options);
  }
  /** The `satp` value that makes this table the active address space `asid`. */
  satp(asid = 0): bigint {
    return satpValue(SatpMode.Sv57, asid, this.rootPaddr);
  }
}
