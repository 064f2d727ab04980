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

/** One entry write (Accessed / Dirty state) a real access would make and a debug walk only reports. */
export interface EntryUpdate {
  /** Level of the entry from the leaves, as in {@link WalkStep.level}. */
  readonly level: number;
  /** PA of the entry. */
  readonly entryPaddr: PhysAddr;
  /** The entry as read. */
  readonly before: bigint;
  /** The entry the access would write. */
  readonly after: bigint;
}

/**
 * The one debug-report shape of every emulator MMU's `debugTranslate`: a
 * walk with no side effect at all (no entry write, TLB and counters
 * untouched) that says which levels it read, the entries with their
 * addresses, the effective permissions of the leaf it reached, the writes a
 * real access would make, and where and why it stopped. `access`,
 * `updates`, `stopLevel` and `stopReason` are read-only non-enumerable
 * properties (attached by {@link withReportFields}), so each arch's report
 * keeps its own enumerable shape.
 */
export interface DebugTranslation<F> {
  /** The VA walked. */
  readonly va: VirtAddr;
  /** The access asked about. */
  readonly access: Access;
  /** Entries read, from the root down (none when the VA is refused before any walk, or translation is off). */
  readonly steps: readonly WalkStep[];
  /** What `translate` would return for the access asked about. */
  readonly result: TranslateResult<F>;
  /**
   * Effective permissions at the current privilege of the leaf the walk
   * reached — also when the access asked about faults; `undefined` when it
   * reached no leaf. With translation off: what the untranslated access may do.
   */
  readonly permissions?: MappingFlags;
  /** Size of the leaf the walk reached, when it reached one. */
  readonly leafSize?: number;
  /** The entry writes a real access would make, root first (empty when none). */
  readonly updates: readonly EntryUpdate[];
  /** Level (from the leaves) where the walk stopped on a fault; -1 when it stopped before reading any entry. */
  readonly stopLevel?: number;
  /** Why the walk stopped, as the arch's machine-readable reason (`not-present`, `permission`, …), when it faulted. */
  readonly stopReason?: string;
  /** Why the walk stopped early, for people, when it did (e.g. `not present at level 1`). */
  readonly stop?: string;
}

/** Counters of an MMU's software TLB (zeroed by every MMU's `resetStats`). */
export interface MmuStats {
  /** Translations served from the TLB. */
  hits: number;
  /** Translations that walked the tables. */
  misses: number;
  /** Accesses that faulted. */
  faults: number;
}

export * from './mmu/access.js';
export * from './mmu/cas.js';
export * from './mmu/contract.js';
export * from './mmu/debug-report.js';
export * from './mmu/registers.js';
export * from './mmu/stats.js';
export * from './mmu/tlb-options.js';
export * from './mmu/va.js';
