/**
 * One pass over every present entry of adopted tables (the walker's `walk`):
 * the merged mapping rows `ptm dump` prints, the counts `ptm stats` prints,
 * and the entries both must report: links to tables outside the image and
 * links to a table already walked (a loop, or a subtree shared by two
 * parents).
 *
 * The rows are merged as they stream by, so memory grows with the number of
 * runs, not of leaves: an image with millions of 4 KiB pages costs no more
 * than its output. (`PageTable64.mappings()` gathers every leaf first.)
 *
 * @module
 */

import { type MappingFlags, type PageSize, type PageTable64, PageSize as Sizes } from '@page-table/core';
import { type MappingRow, displayVa } from './mappings.js';
import type { Mode } from './modes.js';
import { hex } from './numbers.js';

/** Why an entry is reported. */
export type ProblemKind = 'table-outside-image' | 'table-revisited';

/** A link entry the walk could not, or did not again, follow. */
export interface Problem {
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
  leaves: number;
  bytes: bigint;
}

/** What {@link auditTables} found. */
export interface Audit {
  /** Table frames per level (index = level); the root counts at the top level. */
  tablesPerLevel: number[];
  /** Leaf entries in total. */
  leaves: number;
  /** Bytes mapped in total. */
  mappedBytes: bigint;
  /** Per page size, in 4K, 2M, 1G order. */
  bySize: Map<PageSize, Tally>;
  /** Per flag set, in ascending flag value. */
  byFlags: Map<MappingFlags, Tally>;
  /** Entries a reader must know about, in walk order. */
  problems: Problem[];
  /** Leaf runs with contiguous VA and PA, equal flags and page size, in VA order. */
  rows: MappingRow[];
}

/**
 * Walks `pt` once. `has(frame)` says whether a frame (PA / 4096) is in the
 * image; `upper` displays VAs in the AArch64 TTBR1 range. Follows exactly
 * what the walker follows (it keeps its own seen-set, so a loop ends), and
 * reports each link it does not follow.
 */
export function auditTables(mode: Mode, pt: PageTable64, has: (frame: number) => boolean, upper: boolean): Audit {
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
  const problems: Problem[] = [];
  const rows: MappingRow[] = [];
  let run: MappingRow | undefined;
  let leaves = 0;
  let mappedBytes = 0n;

  pt.walk((e) => {
    const entryPa = current[e.level] + BigInt(8 * e.index);
    if (e.leaf) {
      const size = BigInt(e.size);
      leaves++;
      mappedBytes += size;
      const va = displayVa(e.va, upper);
      const pa = BigInt(e.paddr);
      // Exact VAs, so a run never crosses the non-canonical hole between the two halves.
      if (run !== undefined && run.pageSize === e.size && run.flags === e.flags && run.vaEnd === va && run.paEnd === pa) {
        run.vaEnd += size;
        run.paEnd += size;
        run.size += size;
      } else {
        run = { va, vaEnd: va + size, pa, paEnd: pa + size, size, pageSize: e.size as PageSize, flags: e.flags };
        rows.push(run);
      }
      const s = bySize.get(e.size as PageSize);
      if (s !== undefined) {
        s.leaves++;
        s.bytes += size;
      }
      let f = flagTally.get(e.flags);
      if (f === undefined) {
        f = { leaves: 0, bytes: 0n };
        flagTally.set(e.flags, f);
      }
      f.leaves++;
      f.bytes += size;
      return;
    }
    const target = BigInt(e.paddr);
    const table = mode.tableNames[e.level];
    const child = mode.tableNames[e.level - 1];
    const va = displayVa(e.va, upper);
    const where = `${table} entry ${e.index} at ${hex(entryPa)} (VA ${hex(va)})`;
    const report = (kind: ProblemKind, message: string) =>
      problems.push({ kind, level: e.level, table, index: e.index, entryPa, entry: e.entry, va, target, message });
    if (!has(Number(target >> 12n))) {
      report('table-outside-image', `${where} links to a ${child} table at ${hex(target)} outside the image; not walked`);
    } else if (seen.has(target)) {
      report('table-revisited', `${where} links to the table at ${hex(target)} again (a loop or a shared table); walked once only`);
    } else {
      seen.add(target);
      current[e.level - 1] = target;
      tablesPerLevel[e.level - 1]++;
    }
  });

  const byFlags = new Map([...flagTally].sort((a, b) => a[0] - b[0]));
  return { tablesPerLevel, leaves, mappedBytes, bySize, byFlags, problems, rows };
}
