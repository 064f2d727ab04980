/**
 * One pass over every present entry of adopted tables (the walker's `walk`):
 * the merged mapping rows `ptm dump` prints, the counts `ptm stats` prints,
 * and the entries both must report: links to tables outside the image and
 * links to a table already walked (a loop, or a subtree shared by two
 * parents).
 *
 * Rows and problems stream out through callbacks as the walk goes: memory
 * does not grow with the number of leaves, rows or problems, so an image
 * with millions of 4 KiB pages or hostile back-links costs no more than one
 * of them.
 *
 * @module
 */

import { type MappingFlags, type PageSize, type PageTable64, PageSize as Sizes } from '@page-table/core';
import { type LeafFilter, NO_FILTER, flagsPass } from './filter.js';
import { type MappingRow, displayVa } from './mappings.js';
import type { Mode } from './modes.js';
import { hex } from './numbers.js';

/** Why an entry is reported. */
export type ProblemKind = 'table-outside-image' | 'table-revisited';

/** A link entry the walk could not, or did not again, follow. */
export interface Problem {
  /** Why it is reported. */
  kind: ProblemKind;
  /** Level of the entry's table (0 = last level). */
  level: number;
  /** The entry's table, by the arch's name. */
  table: string;
  /** Index in the table. */
  index: number;
  /** PA of the entry. */
  entryPa: bigint;
  /** The raw entry. */
  entry: bigint;
  /** First VA the entry covers (displayed form). */
  va: bigint;
  /** PA of the table it links to. */
  target: bigint;
  /** One line for people. */
  message: string;
}

/** Leaves and bytes of one class (a page size or a flag set). */
export interface Tally {
  /** Leaf entries. */
  leaves: number;
  /** Bytes they map (clipped to the filter's range). */
  bytes: bigint;
}

/** Where {@link auditTables} sends what it finds, as it finds it. */
export interface AuditSink {
  /** Each merged run, in VA order, once complete. */
  row?(row: MappingRow): void;
  /** Each link entry not followed, in walk order. */
  problem?(problem: Problem): void;
  /** Each leaf that passes the filter (clipped to its range), before merging. */
  leaf?(va: bigint, pa: bigint, size: bigint, flags: MappingFlags): void;
}

/** What {@link auditTables} counted. */
export interface Audit {
  /** Table frames per level (index = level); the root counts at the top level. */
  tablesPerLevel: number[];
  /** Leaf entries shown (all of them without a filter). */
  leaves: number;
  /** Bytes mapped by them. */
  mappedBytes: bigint;
  /** Per page size, in 4K, 2M, 1G order. */
  bySize: Map<PageSize, Tally>;
  /** Per flag set, in ascending flag value. */
  byFlags: Map<MappingFlags, Tally>;
  /** Rows sent to the sink. */
  rows: number;
  /** Problems sent to the sink. */
  problems: number;
  /** Problems per kind. */
  problemKinds: Map<ProblemKind, number>;
}

/**
 * Walks `pt` once. `has(frame)` says whether a frame (PA / 4096) is in the
 * image; `upperBits` are OR-ed into every VA (an AArch64 TTBR1 table's
 * upper range; 0 otherwise); `leafFlags`, when given, turns a leaf's raw
 * entry and decoded flags into the flags shown (memory types from the
 * guest's MAIR). Follows exactly
 * what the walker follows (it keeps its own seen-set, so a loop ends), and
 * reports each link it does not follow whose VA span meets the filter's
 * range. Leaves outside the filter are skipped; leaves partly in its range
 * are clipped to it.
 */
export function auditTables(
  mode: Mode,
  pt: PageTable64,
  has: (frame: number) => boolean,
  upperBits: bigint,
  sink: AuditSink,
  filter: LeafFilter = NO_FILTER,
  leafFlags?: (entry: bigint, flags: MappingFlags) => MappingFlags,
): Audit {
  const top = mode.levels - 1;
  const tablesPerLevel = new Array<number>(mode.levels).fill(0);
  tablesPerLevel[top] = 1;
  const root = BigInt(pt.rootPaddr);
  // PA of the table being walked at each level: the walk is depth-first, links before contents.
  const current = new Array<bigint>(mode.levels).fill(0n);
  current[top] = root;
  const seen = new Set<bigint>([root]);
  const bySize = new Map<PageSize, Tally>();
  for (const s of [Sizes.Size4K, Sizes.Size2M, Sizes.Size1G]) bySize.set(s, { leaves: 0, bytes: 0n });
  const flagTally = new Map<MappingFlags, Tally>();
  const problemKinds = new Map<ProblemKind, number>();
  const { first, last } = filter;
  let run: MappingRow | undefined;
  let runEnd = 0n;
  let rows = 0;
  let problems = 0;
  let leaves = 0;
  let mappedBytes = 0n;
  const emit = (r: MappingRow) => {
    rows++;
    sink.row?.(r);
  };

  pt.walk((e) => {
    if (e.leaf) {
      const flags = leafFlags === undefined ? e.flags : leafFlags(e.entry, e.flags);
      if (!flagsPass(filter, flags)) return;
      let size = BigInt(e.size);
      let va = displayVa(e.va, upperBits);
      let pa = BigInt(e.paddr);
      const leafLast = va + size - 1n;
      if (leafLast < first || va > last) return;
      if (va < first) {
        pa += first - va;
        size -= first - va;
        va = first;
      }
      if (leafLast > last) size -= leafLast - last;
      leaves++;
      mappedBytes += size;
      sink.leaf?.(va, pa, size, flags);
      // Exact VAs, so a run never crosses the non-canonical hole between the two halves.
      if (run !== undefined && run.pageSize === e.size && run.flags === flags && runEnd === va && run.pa + run.size === pa) {
        run.size += size;
        runEnd += size;
      } else {
        if (run !== undefined) emit(run);
        run = { va, pa, size, pageSize: e.size as PageSize, flags };
        runEnd = va + size;
      }
      const s = bySize.get(e.size as PageSize);
      if (s !== undefined) {
        s.leaves++;
        s.bytes += size;
      }
      let f = flagTally.get(flags);
      if (f === undefined) {
        f = { leaves: 0, bytes: 0n };
        flagTally.set(flags, f);
      }
      f.leaves++;
      f.bytes += size;
      return;
    }
    const target = BigInt(e.paddr);
    const entryPa = current[e.level] + BigInt(8 * e.index);
    const va = displayVa(e.va, upperBits);
    const inRange = va <= last && va + BigInt(e.size) - 1n >= first;
    const report = (kind: ProblemKind, message: string) => {
      if (!inRange) return;
      problems++;
      problemKinds.set(kind, (problemKinds.get(kind) ?? 0) + 1);
      sink.problem?.({ kind, level: e.level, table: mode.tableNames[e.level], index: e.index, entryPa, entry: e.entry, va, target, message });
    };
    const where = () => `${mode.tableNames[e.level]} entry ${e.index} at ${hex(entryPa)} (VA ${hex(va)})`;
    if (!has(Number(target >> 12n))) {
      report('table-outside-image', `${where()} links to a ${mode.tableNames[e.level - 1]} table at ${hex(target)} outside the image; not walked`);
    } else if (seen.has(target)) {
      report('table-revisited', `${where()} links to the table at ${hex(target)} again (a loop or a shared table); walked once only`);
    } else {
      seen.add(target);
      current[e.level - 1] = target;
      tablesPerLevel[e.level - 1]++;
    }
  });
  if (run !== undefined) emit(run);

  const byFlags = new Map([...flagTally].sort((a, b) => a[0] - b[0]));
  return { tablesPerLevel, leaves, mappedBytes, bySize, byFlags, rows, problems, problemKinds };
}
