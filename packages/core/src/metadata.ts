/**
 * What the generic walker needs to know about a paging mode.
 *
 * @module
 */

import type { VirtAddr } from '@page-table/memory-addr';
import type { GenericPTE } from './pte.js';

/**
 * How a virtual address is checked before any walk:
 * - `sign-extend`: bits `vaBits-1 .. 63` all equal (x86_64, RISC-V, LoongArch);
 * - `top-bits`: bits `vaBits .. 63` all equal, so one table takes both the
 *   TTBR0 and the TTBR1 range, which alias each other (AArch64, as upstream);
 * - `top-bits-lower` / `top-bits-upper`: bits `vaBits .. 63` all 0 (a TTBR0
 *   table) / all 1 (a TTBR1 table), and `walk`/`mappings` report VAs in
 *   that range.
 */
export type VaCheck = 'sign-extend' | 'top-bits' | 'top-bits-lower' | 'top-bits-upper';

/** A TLB-flush hook: one VA, or `undefined` for a full flush. */
export type FlushTlb = (va: VirtAddr | undefined) => void;

/**
 * A paging mode: its level count, address widths, entry codec and TLB hook.
 * The walker enforces the widths on every call (upstream only offers them).
 */
export interface PagingMetaData {
  /** Human name, e.g. `x86_64 4-level`. */
  readonly name: string;
  /**
   * Number of table levels: 3, 4 or 5 (512 entries each, 9 VA bits per level;
   * the root has fewer when `vaBits` leaves it less, see {@link topTableEntries}).
   */
  readonly levels: 3 | 4 | 5;
  /** Physical address width: a PA must be below 2^paBits. */
  readonly paBits: number;
  /** Virtual address width (bits translated): at least 33, at most 12 + 9 × levels. */
  readonly vaBits: number;
  /** Canonical-VA rule. */
  readonly vaCheck: VaCheck;
  /** The entry codec. */
  readonly pte: GenericPTE;
  /** Default TLB flush (a page table's own `flushTlb` option overrides it). */
  readonly flushTlb?: FlushTlb;
}

/**
 * Entries of the top (root) table of a paging mode: 512, or fewer when its
 * VA width leaves the top level less than 9 bits (an AArch64 4 KiB-granule
 * table of a 42-bit VA starts at level 0 with VA[41:39]: 8 entries). The
 * bits above it are the canonical check's, never part of an index.
 */
export function topTableEntries(meta: PagingMetaData): number {
  return 2 ** Math.min(9, meta.vaBits - 12 - 9 * (meta.levels - 1));
}
