/**
 * The 32-bit Arm translation table formats as plain data: per level, the
 * table shape, the VA bits it indexes, the leaves it may hold and the codec
 * of its entries. This is what core's generic walker, once it is generic
 * over table shape, will consume to build `ArmV7PageTable` and
 * `ArmLpaePageTable`; the MMU walks the same shapes.
 *
 * Sources: Arm ARM B3.5 (short-descriptor format: first-level table of
 * 4096 >> TTBCR.N entries indexed by VA[31-N:20], second-level tables of 256
 * entries indexed by VA[19:12]) and B3.6 (long-descriptor format: levels 1..3,
 * 512 entries of 8 bytes, a first table of 2^(2-T0SZ) entries at level 1 for
 * T0SZ 0..1, or of 2^(11-T0SZ) entries at level 2 for T0SZ 2..7).
 *
 * @module
 */

import type { GenericPTE } from '@page-table/core';
import { ArmLpaePTE } from './lpae-pte.js';
import { ArmShortL1PTE, ArmShortL2PTE } from './short-pte.js';

/** One level of a translation table format. */
export interface ArmTableLevel {
  /** The manual's name of the level (`first-level`, `level 2`, …). */
  readonly name: string;
  /** Entries of one table at this level (the root's may be fewer, see {@link ArmTableFormat.rootEntries}). */
  readonly entries: number;
  /** Bytes per entry: 4 (short descriptors) or 8 (long descriptors). */
  readonly entryBytes: 4 | 8;
  /** Lowest VA bit the level's index takes. */
  readonly vaShift: number;
  /** VA bits the index takes in a full table (log2 of {@link entries}). */
  readonly vaBits: number;
  /** Alignment of a table at this level in bytes (its size: 1 KiB, 4 KiB, 16 KiB). */
  readonly tableAlign: number;
  /** Sizes in bytes of the leaves an entry of this level may be (empty: links only). */
  readonly leafSizes: readonly number[];
  /** Whether an entry may link to a table of the next level. */
  readonly links: boolean;
  /** The codec of this level's entries. */
  readonly pte: GenericPTE;
}

/** A translation table format: its levels from the root down, the root's size and the address widths. */
export interface ArmTableFormat {
  /** Human name, e.g. `armv7 short-descriptor (TTBCR.N = 0)`. */
  readonly name: string;
  /** The levels the walk reads, root first (the last holds the 4 KiB pages). */
  readonly levels: readonly ArmTableLevel[];
  /** Entries of the root table (fewer than `levels[0].entries` when TTBCR.N or T0SZ cuts the range). */
  readonly rootEntries: number;
  /** Alignment (and size) of the root table in bytes. */
  readonly rootAlign: number;
  /** VA bits the root translates: the root covers VA 0 .. 2^vaBits - 1 (a TTBR0 range). */
  readonly vaBits: number;
  /** Output address width: 40 (supersections and LPAE). */
  readonly paBits: number;
}

const SHORT_L1 = new ArmShortL1PTE();
const SHORT_L2 = new ArmShortL2PTE();
const LPAE = new ArmLpaePTE();

function shortFormat(n: number): ArmTableFormat {
  return Object.freeze({
    name: `armv7 short-descriptor (TTBCR.N = ${n})`,
    levels: Object.freeze([
      Object.freeze({
        name: 'first-level',
        entries: 4096,
        entryBytes: 4 as const,
        vaShift: 20,
        vaBits: 12,
        tableAlign: 0x4000,
        leafSizes: Object.freeze([0x10_0000, 0x100_0000]),
        links: true,
        pte: SHORT_L1,
      }),
      Object.freeze({
        name: 'second-level',
        entries: 256,
        entryBytes: 4 as const,
        vaShift: 12,
        vaBits: 8,
        tableAlign: 0x400,
        leafSizes: Object.freeze([0x1000, 0x1_0000]),
        links: false,
        pte: SHORT_L2,
      }),
    ]),
    rootEntries: 4096 >>> n,
    rootAlign: 0x4000 >>> n,
    vaBits: 32 - n,
    paBits: 40,
  });
}

const LPAE_LEVELS: readonly ArmTableLevel[] = Object.freeze([
  Object.freeze({
    name: 'level 1',
    entries: 4,
    entryBytes: 8 as const,
    vaShift: 30,
    vaBits: 2,
    tableAlign: 32,
    leafSizes: Object.freeze([0x4000_0000]),
    links: true,
    pte: LPAE,
  }),
  Object.freeze({
    name: 'level 2',
    entries: 512,
    entryBytes: 8 as const,
    vaShift: 21,
    vaBits: 9,
    tableAlign: 0x1000,
    leafSizes: Object.freeze([0x20_0000]),
    links: true,
    pte: LPAE,
  }),
  Object.freeze({
    name: 'level 3',
    entries: 512,
    entryBytes: 8 as const,
    vaShift: 12,
    vaBits: 9,
    tableAlign: 0x1000,
    leafSizes: Object.freeze([0x1000]),
    links: false,
    pte: LPAE,
  }),
]);

function lpaeFormat(t0sz: number): ArmTableFormat {
  // T0SZ 0..1: the walk starts at level 1 (2^(2-T0SZ) entries); 2..7: at level 2 (2^(11-T0SZ) entries).
  const fromL1 = t0sz <= 1;
  const rootEntries = fromL1 ? 4 >>> t0sz : 2048 >>> t0sz;
  return Object.freeze({
    name: `armv7 LPAE long-descriptor (T0SZ = ${t0sz})`,
    levels: fromL1 ? LPAE_LEVELS : Object.freeze(LPAE_LEVELS.slice(1)),
    rootEntries,
    rootAlign: rootEntries * 8,
    vaBits: 32 - t0sz,
    paBits: 40,
  });
}

const SHORT_FORMATS: readonly ArmTableFormat[] = Object.freeze([0, 1, 2, 3, 4, 5, 6, 7].map(shortFormat));
const LPAE_FORMATS: readonly ArmTableFormat[] = Object.freeze([0, 1, 2, 3, 4, 5, 6, 7].map(lpaeFormat));

function checkSplit(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 7) throw new RangeError(`armv7: ${what} ${String(v)} is outside 0..7`);
  return v;
}

/** The short-descriptor format of a TTBR0 table under TTBCR.N = `n` (0..7; a TTBR1 table is always the `n` = 0 shape). */
export function armV7ShortFormat(n = 0): ArmTableFormat {
  return SHORT_FORMATS[checkSplit(n, 'TTBCR.N')];
}

/** The LPAE format of a table translating 2^(32 - `tsz`) bytes (`tsz` = TTBCR.T0SZ or T1SZ, 0..7). */
export function armLpaeFormat(tsz = 0): ArmTableFormat {
  return LPAE_FORMATS[checkSplit(tsz, 'TnSZ')];
}

/** The short-descriptor format with TTBCR.N = 0: a 16 KiB first-level table over the whole 4 GiB. */
export const ARMV7_SHORT_FORMAT: ArmTableFormat = SHORT_FORMATS[0];

/** The LPAE format with T0SZ = 0: a 4-entry level-1 table over the whole 4 GiB. */
export const ARMV7_LPAE_FORMAT: ArmTableFormat = LPAE_FORMATS[0];
