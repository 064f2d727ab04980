/**
 * One pass over every present entry of adopted tables (the walker's `walk`,
 * which follows every path as the CPU does: a table shared by several
 * entries is listed under every VA that reaches it): the merged mapping rows
 * `ptm dump` prints, the counts `ptm stats` prints, the effective
 * permissions beside the leaf's own bits where tables above restrict them,
 * and the links to tables outside the image.
 *
 * Rows and problems stream out through callbacks as the walk goes: memory
 * does not grow with the number of leaves, rows or problems. The walker's
 * work budget (`maxEntries`) bounds pathological trees; when it runs out,
 * what came before is already out and {@link Audit.stopped} says where.
 *
 * @module
 */

import {
  type MappingFlags,
  type PageSize,
  type PageTable64,
  PageSize as Sizes,
  WalkBudgetError,
} from '@page-table/core';
import { flagsPass, type LeafFilter, NO_FILTER } from './filter.js';
import { displayVa, type MappingRow } from './mappings.js';
import type { Mode } from './modes.js';
import { hex } from './numbers.js';

/** Why an entry is reported: it links to a table that is not in the image. */
export type ProblemKind = 'table-outside-image';

/** A link entry the walk could not follow. */
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
  /** Leaves whose effective permissions differ from their own bits (tables above restrict them). */
  restricted: number;
  /** Where the work budget ran out, or undefined when the walk finished. */
  stopped: WalkStop | undefined;
}

/** Where a walk's work budget ran out. */
export interface WalkStop {
  /** Present entries visited (the budget). */
  entries: number;
  /** The first VA not walked (displayed form); everything before it was reported. */
  at: bigint;
}

/** How {@link auditTables} reads leaves and how much work it may do. */
export interface AuditOptions {
  /** The leaves shown (default: all). */
  filter?: LeafFilter;
  /** Turns a leaf's raw entry and decoded flags into the flags shown (memory types from the guest's MAIR). */
  leafFlags?: (entry: bigint, flags: MappingFlags) => MappingFlags;
  /** The walker's budget of present entries (default the walker's). */
  maxEntries?: number;
}

/**
 * Walks `pt` once. `has(frame)` says whether a frame (PA / 4096) is in the
 * image (the walker knows it too; this names the table in messages);
 * `upperBits` are OR-ed into every VA (an AArch64 TTBR1 table's upper range;
 * 0 otherwise). Reports each link to a table outside the image whose VA span
 * meets the filter's range. Leaves outside the filter (by their effective
 * permissions) are skipped; leaves partly in its range are clipped to it.
 */
export function auditTables(
  mode: Mode,
  pt: PageTable64,
  has: (frame: number) => boolean,
  upperBits: bigint,
  sink: AuditSink,
  options: AuditOptions = {},
): Audit {
  const filter = options.filter ?? NO_FILTER;
  const { leafFlags } = options;
  const top = mode.levels - 1;
  const tablesPerLevel = new Array<number>(mode.levels).fill(0);
  tablesPerLevel[top] = 1;
  // Distinct tables per level they are first read at (an aliased table counts once).
  const seen = new Set<number>([Number(BigInt(pt.rootPaddr) >> 12n)]);
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
  let restricted = 0;
  let mappedBytes = 0n;
  let stopped: Audit['stopped'];
  const emit = (r: MappingRow) => {
    rows++;
    sink.row?.(r);
  };

  try {
    pt.walk(
      (e) => {
        if (e.leaf) {
          const own0 = e.leafFlags ?? e.flags;
          const flags = leafFlags === undefined ? e.flags : leafFlags(e.entry, e.flags);
          const own = e.leafFlags === undefined ? flags : leafFlags === undefined ? own0 : leafFlags(e.entry, own0);
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
          if (own !== flags) restricted++;
          mappedBytes += size;
          sink.leaf?.(va, pa, size, flags);
          // Exact VAs, so a run never crosses the non-canonical hole between the two halves.
          if (
            run !== undefined &&
            run.pageSize === e.size &&
            run.flags === flags &&
            (run.leafFlags ?? flags) === own &&
            runEnd === va &&
            run.pa + run.size === pa
          ) {
            run.size += size;
            runEnd += size;
          } else {
            if (run !== undefined) emit(run);
            run = { va, pa, size, pageSize: e.size as PageSize, flags, leafFlags: own === flags ? undefined : own };
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
        if (e.outside || !has(Number(target >> 12n))) {
          const va = displayVa(e.va, upperBits);
          if (va > last || va + BigInt(e.size) - 1n < first) return;
          const entryPa = BigInt(e.entryPa);
          const table = mode.tableNames[e.level];
          problems++;
          problemKinds.set('table-outside-image', (problemKinds.get('table-outside-image') ?? 0) + 1);
          sink.problem?.({
            kind: 'table-outside-image',
            level: e.level,
            table,
            index: e.index,
            entryPa,
            entry: e.entry,
            va,
            target,
            message: `${table} entry ${e.index} at ${hex(entryPa)} (VA ${hex(va)}) links to a ${mode.tableNames[e.level - 1]} table at ${hex(target)} outside the image; not walked`,
          });
          return;
        }
        const frame = Number(target >> 12n);
        if (!seen.has(frame)) {
          seen.add(frame);
          tablesPerLevel[e.level - 1]++;
        }
      },
      options.maxEntries === undefined ? undefined : { maxEntries: options.maxEntries },
    );
  } catch (e) {
    if (!(e instanceof WalkBudgetError)) throw e;
    stopped = { entries: e.entries, at: displayVa(e.stoppedAt, upperBits) };
  }
  if (run !== undefined) emit(run);

  const byFlags = new Map([...flagTally].sort((a, b) => a[0] - b[0]));
  return { tablesPerLevel, leaves, mappedBytes, bySize, byFlags, rows, problems, problemKinds, restricted, stopped };
}
