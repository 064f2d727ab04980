/**
 * The translation of one VA, level by level, read straight from the tables
 * with the arch codec's half-word methods: what the MMU does, shown entry by
 * entry. Read-only, and bounded by the level count (a table that links to
 * itself is simply read again one level down, as hardware would).
 *
 * @module
 */

import { levelPageSize, type MappingFlags, PageSize, type PhysMemory, topTableEntries } from '@page-table/core';
import type { Mode } from './modes.js';
import { hex } from './numbers.js';

/** What an entry on the walk is. */
export type StepKind = 'table' | 'leaf' | 'invalid' | 'reserved';

/** One entry read on the walk. */
export interface WalkStep {
  /** Level from the leaves (0 = last level). */
  level: number;
  /** The table's name in the arch's manual (`PML4`, `L1`, `Dir2`, …). */
  table: string;
  /** Index in the table (0..511). */
  index: number;
  /** PA of the table. */
  tablePa: bigint;
  /** PA of the entry (`tablePa + 8 * index`). */
  entryPa: bigint;
  /** The raw 64-bit entry. */
  entry: bigint;
  /** A link to the next table, a leaf, an entry that is not present, or one no walk may use here. */
  kind: StepKind;
  /** For a link: the next table's PA; for a leaf: the page's (or block's) base PA. */
  target?: bigint;
}

/** Why a walk stopped without a leaf. */
export type StopReason = 'non-canonical' | 'not-present' | 'reserved' | 'table-outside-image';

/** The outcome of one VA. */
export interface Translation {
  /** The VA translated. */
  va: bigint;
  /** Every entry read, root first. */
  steps: WalkStep[];
  /** The leaf, when the VA is mapped. */
  result?: TranslationResult;
  /** Where and why the walk stopped, when it is not. */
  stop?: TranslationStop;
}

/** The leaf a mapped VA reaches. */
export interface TranslationResult {
  /** The PA, with the in-page offset. */
  pa: bigint;
  /** The permissions the CPU enforces: the leaf's flags less what the tables above take away. */
  flags: MappingFlags;
  /** The leaf's own flags, where the tables above restrict them (undefined when equal to {@link flags}). */
  leafFlags?: MappingFlags | undefined;
  /** Its page (or block) size. */
  pageSize: PageSize;
  /** Its level (0 = a 4 KiB page). */
  level: number;
}

/** Where a walk that found no leaf stopped. */
export interface TranslationStop {
  /** Level of the entry that stopped it. */
  level: number;
  /** Why. */
  reason: StopReason;
  /** One line for people. */
  message: string;
}

/** Whether `va` is canonical for the mode (sign-extended, or AArch64's all-0 / all-1 top bits). */
export function isCanonical(mode: Mode, va: bigint): boolean {
  const { vaBits, vaCheck } = mode.meta;
  const top = vaCheck === 'sign-extend' ? vaBits - 1 : vaBits;
  const high = va >> BigInt(top);
  return high === 0n || high === (1n << BigInt(64 - top)) - 1n;
}

/**
 * Walks `va` from the table at `root` in `memory`: one step per entry read,
 * ending at a leaf (the PA with the in-page offset, flags and page size) or
 * at the entry or table where translation stops, with the reason.
 *
 * The decisions are the walker's: above the last level an entry the codec
 * calls a table link is followed; a present entry at a level that can hold a
 * leaf (4 KiB, 2 MiB or 1 GiB) is one; a present entry above that is reserved.
 */
export function translateVa(mode: Mode, memory: PhysMemory, root: bigint, va: bigint): Translation {
  const steps: WalkStep[] = [];
  const out: Translation = { va, steps };
  const top = mode.levels - 1;
  if (!isCanonical(mode, va)) {
    out.stop = {
      level: top,
      reason: 'non-canonical',
      message: `not canonical for ${mode.meta.name} (${mode.meta.vaCheck === 'sign-extend' ? `bits ${mode.meta.vaBits - 1}..63 must be equal` : `bits ${mode.meta.vaBits}..63 must be all 0 or all 1`})`,
    };
    return out;
  }
  const pte = mode.meta.pte;
  const topEntries = topTableEntries(mode.meta);
  let tablePa = root;
  // Rights the links above take away (x86 R/W, U/S, NX; AArch64 APTable, XNTable), as the codec defines them.
  let restrictions = 0;
  for (let level = top; level >= 0; level--) {
    const table = mode.tableNames[level];
    const base = memory.frameWord(Number(tablePa >> 12n));
    if (base < 0) {
      const from = steps.length > 0 ? ` (linked from ${describeStep(steps[steps.length - 1])})` : '';
      out.stop = {
        level,
        reason: 'table-outside-image',
        message: `the ${table} table at ${hex(tablePa)} is outside the image${from}`,
      };
      return out;
    }
    // The root may be a partial table (AArch64 42-bit VAs: VA[41:39]); the bits above are the canonical check's.
    const index = Number((va >> BigInt(12 + 9 * level)) & BigInt(level === top ? topEntries - 1 : 511));
    const words = memory.words;
    const lo = words[base + 2 * index];
    const hi = words[base + 2 * index + 1];
    const step: WalkStep = {
      level,
      table,
      index,
      tablePa,
      entryPa: tablePa + BigInt(8 * index),
      entry: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0),
      kind: 'invalid',
    };
    steps.push(step);
    if (level > 0 && pte.table(lo, hi)) {
      step.kind = 'table';
      restrictions |= pte.tableRestrictions(lo, hi);
      step.target = BigInt(pte.frame(lo, hi)) << 12n;
      tablePa = step.target;
      continue;
    }
    if (!pte.present(lo, hi)) {
      out.stop = { level, reason: 'not-present', message: `not present: ${describeStep(step)} is ${hex(step.entry)}` };
      return out;
    }
    if (level > 2) {
      step.kind = 'reserved';
      out.stop = {
        level,
        reason: 'reserved',
        message: `${describeStep(step)} is present but neither a table link nor a leaf (no leaves at this level)`,
      };
      return out;
    }
    const size = levelPageSize(level);
    const pages = BigInt(size / PageSize.Size4K);
    const frame = BigInt(pte.frame(lo, hi));
    step.kind = 'leaf';
    step.target = (frame - (frame % pages)) << 12n;
    const own = pte.decodeFlags(lo, hi);
    const flags = pte.effectiveFlags(lo, hi, restrictions);
    out.result = {
      pa: step.target + (va & BigInt(size - 1)),
      flags,
      leafFlags: own === flags ? undefined : own,
      pageSize: size,
      level,
    };
    return out;
  }
  throw new Error('unreachable: the last level always ends the walk');
}

/** `PDPT entry 3 at 0x102018`. */
export function describeStep(step: WalkStep): string {
  return `${step.table} entry ${step.index} at ${hex(step.entryPa)}`;
}
