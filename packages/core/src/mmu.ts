/**
 * What every architecture's emulator MMU shares: the kinds of access, the
 * shape of a translation or fault, and the debug walk's report. The MMUs
 * themselves (`X64Mmu`, `RiscvMmu`, `A64Mmu`, `LA64Mmu`) live in the arch
 * packages; a fault is a value, never an exception.
 *
 * @module
 */

import type { PhysAddr, VirtAddr } from '@page-table/memory-addr';
import type { MappingFlags } from './flags.js';

/** The kind of a memory access. */
export const Access = {
  /** A data load. */
  Read: 0,
  /** A data store. */
  Write: 1,
  /** An instruction fetch. */
  Execute: 2,
} as const;

/** One of the {@link Access} values. */
export type Access = (typeof Access)[keyof typeof Access];

/** A successful translation: the PA, the leaf's size and its effective permissions. */
export interface Translation {
  /** Always absent on success, so `if (r.fault)` tells the two apart. */
  readonly fault?: undefined;
  /** Physical address of the access (with the in-page offset). */
  readonly paddr: PhysAddr;
  /** Size in bytes of the leaf that mapped it (a `PageSize`, or another size the arch has, e.g. a 64 KiB NAPOT page or a 512 GiB leaf). */
  readonly size: number;
  /** Effective permissions after every level and control-register rule. */
  readonly flags: MappingFlags;
}

/** A fault: the architecture's own fault record `F`. */
export interface FaultResult<F> {
  /** The fault the access raises. */
  readonly fault: F;
}

/** What `translate` returns: a {@link Translation} or a {@link FaultResult}. */
export type TranslateResult<F> = Translation | FaultResult<F>;

/** One entry read by a debug walk. */
export interface WalkStep {
  /** Level from the leaves (0 = the 4 KiB page table). */
  readonly level: number;
  /** Index in that table. */
  readonly index: number;
  /** PA of the entry. */
  readonly entryPaddr: PhysAddr;
  /** The raw 64-bit entry. */
  readonly entry: bigint;
}

/** A side-effect-free walk: every entry read, the outcome, and where and why it stopped. */
export interface DebugTranslation<F> {
  /** The VA walked. */
  readonly va: VirtAddr;
  /** Entries read, from the root down. */
  readonly steps: readonly WalkStep[];
  /** What `translate` would return for the access asked about. */
  readonly result: TranslateResult<F>;
  /** Why the walk stopped early, when it did (e.g. `not present at level 1`). */
  readonly stop?: string;
}

/** Counters of an MMU's software TLB. */
export interface MmuStats {
  /** Translations served from the TLB. */
  hits: number;
  /** Translations that walked the tables. */
  misses: number;
  /** Accesses that faulted. */
  faults: number;
}
