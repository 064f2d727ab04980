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
  /** Number of table levels: 3, 4 or 5 (512 entries each, 9 VA bits per level). */
  readonly levels: 3 | 4 | 5;
  /** Physical address width: a PA must be below 2^paBits. */
  readonly paBits: number;
  /** Virtual address width (bits translated). */
  readonly vaBits: number;
  /** Canonical-VA rule. */
  readonly vaCheck: VaCheck;
  /** The entry codec. */
  readonly pte: GenericPTE;
  /** Default TLB flush (a page table's own `flushTlb` option overrides it). */
  readonly flushTlb?: FlushTlb;
}
