/**
 * Enumeration of a page table as the CPU sees it: every leaf reachable from
 * the root, under every VA that reaches it, with the permissions the CPU
 * enforces there.
 *
 * A table linked from several entries (PML4[0] and PML4[511] to one PDPT, a
 * recursive self-link, Linux's espfix PD and PT under many parents) is walked
 * under each of them, as a translation would. The walk is iterative, with an
 * explicit stack of typed arrays (one slot per level), so its depth is the
 * level count and it allocates nothing per entry; its work is bounded by a
 * budget of entries visited ({@link EnumerateOptions.maxEntries}).
 *
 * @module
 */

import { fromBigUnchecked, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { PagingError } from './error.js';
import type { MappingFlags } from './flags.js';
import type { PhysMemory } from './handler.js';
import { type PagingMetaData, topTableEntries } from './metadata.js';
import { levelPageSize, type PageSize } from './page-size.js';
import type { GenericPTE } from './pte.js';

/** Default of {@link EnumerateOptions.maxEntries}: 2^26 present entries, seconds of work, far above any real guest. */
export const DEFAULT_MAX_ENTRIES = 2 ** 26;

/** Options of `mappings()`, `walk()` and `aliases()`. */
export interface EnumerateOptions {
  /**
   * Most present entries (table links and leaves) the walk may visit; the
   * walk then stops with a {@link WalkBudgetError}. Bounds the work on
   * hostile trees (every entry of every level linking to one table reaches
   * 512^4 leaves). A positive integer or `Infinity`; default {@link DEFAULT_MAX_ENTRIES}.
   */
  maxEntries?: number;
}

/** One present entry reported by `walk()`, once per VA range that reaches it. */
export interface WalkEntry {
  /** Depth from the root (0 = root table). */
  depth: number;
  /** Level from the leaves (0 = 4 KiB page table). */
  level: number;
  /** Index in its table (0..511). */
  index: number;
  /** First VA the entry covers on this path, sign-extended in the high half. */
  va: VirtAddr;
  /** PA of the entry itself (its table's PA + 8 × index). */
  entryPa: PhysAddr;
  /** The raw 64-bit entry. */
  entry: bigint;
  /** Whether the entry is a leaf (page or block) rather than a table link. */
  leaf: boolean;
  /** PA the entry holds (the next table, or the leaf's base). */
  paddr: PhysAddr;
  /** For a leaf: the permissions the CPU enforces (its own, less what the tables above take away); 0 for a table link. */
  flags: MappingFlags;
  /** For a leaf whose tables restrict it: the leaf's own flags; `undefined` when they equal {@link flags}. */
  leafFlags?: MappingFlags | undefined;
  /** Bytes of VA the entry covers. */
  size: number;
  /** For a table link: whether its table lies outside backed memory (reported, not walked). False for leaves. */
  outside: boolean;
}

/**
 * A run of leaf mappings with contiguous VAs and PAs, equal flags (effective
 * and own) and equal page size. A run never crosses the canonical hole.
 */
export interface Mapping {
  /** First VA of the run (sign-extended in the high half). */
  va: VirtAddr;
  /** First PA of the run. */
  pa: PhysAddr;
  /** Bytes in the run. */
  size: number;
  /** Page size of every leaf in the run. */
  pageSize: PageSize;
  /** The permissions the CPU enforces: the leaves' own flags less what the tables above them take away. */
  flags: MappingFlags;
  /** The leaves' own flags where the tables above restrict them; `undefined` when they equal {@link flags}. */
  leafFlags?: MappingFlags | undefined;
}

/** One path by which the walk reaches a table. */
export interface TableReach {
  /** First VA the table covers on this path. */
  va: VirtAddr;
  /** Level the table is read at on this path (0 = as a page table). */
  level: number;
  /** Bytes of VA the table covers on this path. */
  size: number;
  /** PA of the entry that links to it on this path; `undefined` where it is the root. */
  entryPa: PhysAddr | undefined;
}

/** A table reached through two or more distinct entries (or as the root and through an entry): aliasing. */
export interface TableAlias {
  /** PA of the shared table. */
  paddr: PhysAddr;
  /** Every path that reaches it, in VA order. */
  reaches: TableReach[];
}

/**
 * The walk used up its {@link EnumerateOptions.maxEntries} budget. Everything
 * before {@link WalkBudgetError.stoppedAt | stoppedAt} has been reported (a
 * streaming consumer has printed it); nothing at or after it has.
 */
export class WalkBudgetError extends PagingError {
  /** Present entries visited before the walk stopped (the budget). */
  readonly entries: number;
  /** VA of the first entry not visited. */
  readonly stoppedAt: VirtAddr;

  constructor(entries: number, stoppedAt: VirtAddr) {
    super(
      'BudgetExceeded',
      `walk stopped after ${entries} entries at VA 0x${stoppedAt.toString(16)} (raise maxEntries)`,
    );
    this.entries = entries;
    this.stoppedAt = stoppedAt;
  }
}

const SAFE_FRAME_LIMIT = 2 ** 41; // frame * 4096 stays below 2^53
const PAGES = [1, 512, 262144, 134217728, 68719476736, 35184372088832];

/**
 * A frame number read back from a double field or a `Float64Array`, in the
 * form to hand to `frameWord`: the read gives a boxed double, `Math.floor`
 * the same value as a small integer. One boxed double reaching a backend's
 * `frameWord` before it is optimised turns its arithmetic into float math in
 * every walk that inlines it (a query measured 32 -> 41 ns), for good.
 */
export function unboxed(frame: number): number {
  return Math.floor(frame);
}

/** PA of a frame (plus an in-page offset), a number while safe, else a bigint. */
export function frameToPa(frame: number, offset: number): PhysAddr {
  if (frame < SAFE_FRAME_LIMIT) return (frame * 4096 + offset) as PhysAddr;
  return fromBigUnchecked((BigInt(frame) << 12n) + BigInt(offset)) as PhysAddr;
}

// The VA format of the last paging mode asked about: page numbers below `lowPages` are VAs as they are,
// the others get the bits above the VA width set (`high`). A one-entry cache: one compare per call.
let lastMeta: PagingMetaData | undefined;
let lowPages = 0;
let high = 0n;

/** The VA of a page number (position in the table tree), sign-extended above the arch's VA width as its `vaCheck` says. */
export function vaOfPage(meta: PagingMetaData, vpn: number): VirtAddr {
  if (meta !== lastMeta) {
    const check = meta.vaCheck;
    const topBit = check === 'sign-extend' ? meta.vaBits - 1 : meta.vaBits;
    lowPages = check === 'top-bits-upper' ? 0 : check === 'sign-extend' ? 2 ** (topBit - 12) : Number.POSITIVE_INFINITY;
    high = (0xffff_ffff_ffff_ffffn >> BigInt(topBit)) << BigInt(topBit);
    lastMeta = meta;
  }
  if (vpn < lowPages) return (vpn < SAFE_FRAME_LIMIT ? vpn * 4096 : BigInt(vpn) << 12n) as VirtAddr;
  return fromBigUnchecked((BigInt(vpn) << 12n) | high) as VirtAddr;
}

function budgetOf(options: EnumerateOptions | undefined): number {
  const max = options?.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!(max === Number.POSITIVE_INFINITY || (Number.isSafeInteger(max) && max > 0))) {
    throw new RangeError(`maxEntries ${String(max)} is not a positive integer or Infinity`);
  }
  return max;
}

const END = 0;
const LEAF = 1;
const TABLE = 2;
const BUDGET = 3;

/**
 * A depth-first cursor over every path of the tree: {@link next} steps to
 * the next present entry in VA order and leaves it in the public fields. The
 * stack holds, per depth, the table's frame, the next index, the first page
 * number it covers and the restrictions of the links above it.
 *
 * A table's word index from `frameWord` is kept only until the next
 * `frameWord` call or until the consumer runs ({@link invalidate}), as
 * {@link PhysMemory} allows caching backends to reuse slots.
 */
class TreeCursor {
  /** Raw halves of the current entry. */
  lo = 0;
  hi = 0;
  /** Level of the current entry (0 = in a page table). */
  level = 0;
  /** Index of the current entry in its table. */
  index = 0;
  /** Page number of the first VA the current entry covers. */
  vpn = 0;
  /** Frame of the table holding the current entry. */
  table = 0;
  /** OR of the restrictions of every link above the current entry. */
  restrictions = 0;
  /** For a table link: whether its table is outside backed memory. */
  outside = false;
  /** Present entries visited so far. */
  entries = 0;

  private readonly h: PhysMemory;
  private readonly pte: GenericPTE;
  private readonly top: number;
  // Entries of the root table (512, fewer for a partial top table).
  private readonly topEnd: number;
  private readonly frames: Float64Array;
  private readonly nextIndex: Int32Array;
  private readonly firstVpn: Float64Array;
  private readonly restrict: Int32Array;
  private readonly budget: number;
  private readonly floor: number;
  private depth = 0;
  // Word index of frames[depth] in h.words, or -1 when it must be fetched again.
  private base = -1;

  /** `floor`: tables read at a level below it are reported but not entered (1 skips page tables). */
  constructor(meta: PagingMetaData, h: PhysMemory, root: number, budget: number, floor: number) {
    this.h = h;
    this.pte = meta.pte;
    this.top = meta.levels - 1;
    this.topEnd = topTableEntries(meta);
    this.frames = new Float64Array(meta.levels);
    this.nextIndex = new Int32Array(meta.levels);
    this.firstVpn = new Float64Array(meta.levels);
    this.restrict = new Int32Array(meta.levels);
    this.frames[0] = root;
    this.budget = budget;
    this.floor = floor;
    if (h.frameWord(root) < 0) {
      throw new PagingError(
        'InvalidAddress',
        `root table at PA 0x${(root * 4096).toString(16)} is outside physical memory`,
      );
    }
  }

  /** Forgets the cached word index (call after running code that may read memory). */
  invalidate(): void {
    this.base = -1;
  }

  /** Steps to the next present entry: `LEAF`, `TABLE`, `END`, or `BUDGET` (then {@link vpn} is where it stopped). */
  next(): number {
    const h = this.h;
    const pte = this.pte;
    let d = this.depth;
    let base = this.base;
    let words = h.words;
    for (;;) {
      if (d < 0) {
        this.depth = d;
        return END;
      }
      let i = this.nextIndex[d];
      // The root may be a partial table (fewer than 512 entries: an AArch64 42-bit VA range).
      const end = d === 0 ? this.topEnd : 512;
      if (i >= end) {
        d--;
        base = -1;
        continue;
      }
      if (base < 0) {
        base = h.frameWord(unboxed(this.frames[d]));
        words = h.words;
        if (base < 0) {
          // Backed when entered; a backend may only lose it if it shrank: nothing more to read here.
          this.nextIndex[d] = end;
          continue;
        }
      }
      let lo = 0;
      let hi = 0;
      for (; i < end; i++) {
        lo = words[base + 2 * i];
        hi = words[base + 2 * i + 1];
        if ((lo | hi) !== 0) break;
      }
      if (i === end) {
        this.nextIndex[d] = end;
        continue;
      }
      const level = this.top - d;
      const isTable = level > 0 && pte.table(lo, hi);
      if (!isTable && !(level <= 2 && (level === 0 ? pte.page(lo, hi) : pte.present(lo, hi)))) {
        this.nextIndex[d] = i + 1;
        continue;
      }
      const vpn = this.firstVpn[d] + i * PAGES[level];
      this.vpn = vpn;
      if (this.entries >= this.budget) {
        this.nextIndex[d] = i;
        this.depth = d;
        this.base = base;
        return BUDGET;
      }
      this.entries++;
      this.nextIndex[d] = i + 1;
      this.lo = lo;
      this.hi = hi;
      this.level = level;
      this.index = i;
      this.table = this.frames[d];
      this.restrictions = this.restrict[d];
      if (!isTable) {
        this.depth = d;
        this.base = base;
        return LEAF;
      }
      const child = pte.frame(lo, hi);
      const cb = h.frameWord(child);
      this.outside = cb < 0;
      // frameWord(child) may have reused the parent's slot: the parent's index is stale either way.
      this.base = -1;
      if (cb >= 0 && level - 1 >= this.floor) {
        d++;
        this.frames[d] = child;
        this.nextIndex[d] = 0;
        this.firstVpn[d] = vpn;
        this.restrict[d] = this.restrict[d - 1] | pte.tableRestrictions(lo, hi);
        this.base = cb;
      }
      this.depth = d;
      return TABLE;
    }
  }
}

/** The leaf's base frame, aligned down to its size (lower bits of a block's address field are attributes, e.g. x86 PAT). */
function leafFrame(pte: GenericPTE, lo: number, hi: number, level: number): number {
  const frame = pte.frame(lo, hi);
  if (level === 0) return frame;
  return frame - (frame - Math.floor(frame / PAGES[level]) * PAGES[level]);
}

/**
 * Leaf mappings of the tree at `root` in VA order, runs merged (like `info
 * mem`); lazy, memory independent of the leaf count. See `PageTable64.mappings`.
 */
export function enumerateMappings(
  meta: PagingMetaData,
  h: PhysMemory,
  root: number,
  options?: EnumerateOptions,
): Generator<Mapping, void, undefined> {
  // The budget and the root are checked now, not at the first `next()`.
  return new MappingRuns(meta, new TreeCursor(meta, h, root, budgetOf(options), 0));
}

/**
 * The run-merging iterator behind `mappings()`. A class rather than a
 * generator function: V8 inlines its `next()` into a `for…of` loop and can
 * drop the per-step result object, which a generator's resume cannot
 * (about 25% of the time per run, measured on 2^20 scattered pages).
 * It keeps the open run in fields between steps.
 */
class MappingRuns implements Generator<Mapping, void, undefined> {
  /** As for generator objects. */
  readonly [Symbol.toStringTag] = 'MappingRuns';
  private readonly meta: PagingMetaData;
  private readonly pte: GenericPTE;
  private readonly c: TreeCursor;
  // The first page of the high half: its position touches the low half's last page, its VA does not.
  private readonly halfStart: number;
  private open = false;
  private vpn0 = 0;
  private frame0 = 0;
  private pages = 0;
  private level0 = 0;
  private flags0 = 0;
  private own0 = 0;
  // How the walk ended (END or BUDGET), -1 while it runs.
  private stop = -1;

  constructor(meta: PagingMetaData, c: TreeCursor) {
    this.meta = meta;
    this.pte = meta.pte;
    this.c = c;
    this.halfStart = meta.vaCheck === 'sign-extend' ? 2 ** (meta.vaBits - 13) : -1;
  }

  next(): IteratorResult<Mapping, void> {
    if (this.stop >= 0) return this.finish();
    const c = this.c;
    const pte = this.pte;
    // The consumer ran since the last step and may have read memory.
    c.invalidate();
    for (;;) {
      const kind = c.next();
      if (kind === TABLE) continue;
      if (kind !== LEAF) {
        this.stop = kind;
        if (!this.open) return this.finish();
        this.open = false;
        return { value: this.take(this.pages), done: false };
      }
      const level = c.level;
      const vpn = c.vpn;
      const frame = leafFrame(pte, c.lo, c.hi, level);
      const own = pte.decodeFlags(c.lo, c.hi);
      const flags = c.restrictions === 0 ? own : pte.effectiveFlags(c.lo, c.hi, c.restrictions);
      const pages = this.pages;
      if (
        this.open &&
        level === this.level0 &&
        flags === this.flags0 &&
        own === this.own0 &&
        vpn === this.vpn0 + pages &&
        frame === this.frame0 + pages &&
        vpn !== this.halfStart
      ) {
        this.pages = pages + PAGES[level];
        continue;
      }
      const done = this.open ? this.take(pages) : undefined;
      this.open = true;
      this.vpn0 = vpn;
      this.frame0 = frame;
      this.pages = PAGES[level];
      this.level0 = level;
      this.flags0 = flags;
      this.own0 = own;
      if (done !== undefined) return { value: done, done: false };
    }
  }

  /** Ends the walk; the remaining runs are dropped. */
  return(): IteratorResult<Mapping, void> {
    this.stop = END;
    this.open = false;
    return { value: undefined, done: true };
  }

  /** Ends the walk and rethrows `e`, as a generator without a `catch` does. */
  throw(e: unknown): IteratorResult<Mapping, void> {
    this.return();
    throw e;
  }

  /** The iterator itself, so it works in `for…of` and spreads. */
  [Symbol.iterator](): MappingRuns {
    return this;
  }

  /** Same as {@link return}, for `using`. */
  [Symbol.dispose](): void {
    this.return();
  }

  private take(pages: number): Mapping {
    return run(this.meta, this.vpn0, this.frame0, pages, this.level0, this.flags0, this.own0);
  }

  private finish(): IteratorResult<Mapping, void> {
    if (this.stop === BUDGET) {
      this.stop = END;
      throw new WalkBudgetError(this.c.entries, vaOfPage(this.meta, this.c.vpn));
    }
    return { value: undefined, done: true };
  }
}

function run(
  meta: PagingMetaData,
  vpn: number,
  frame: number,
  pages: number,
  level: number,
  flags: number,
  own: number,
): Mapping {
  return {
    va: vaOfPage(meta, vpn),
    pa: frameToPa(frame, 0),
    size: pages * 4096,
    pageSize: levelPageSize(level),
    flags,
    leafFlags: own === flags ? undefined : own,
  };
}

/** Calls `visitor` for every present entry of every path, depth-first in VA order. See `PageTable64.walk`. */
export function walkEntries(
  meta: PagingMetaData,
  h: PhysMemory,
  root: number,
  visitor: (entry: WalkEntry) => void,
  options?: EnumerateOptions,
): void {
  const c = new TreeCursor(meta, h, root, budgetOf(options), 0);
  const pte = meta.pte;
  const top = meta.levels - 1;
  for (;;) {
    const kind = c.next();
    if (kind === END) return;
    if (kind === BUDGET) throw new WalkBudgetError(c.entries, vaOfPage(meta, c.vpn));
    const { lo, hi, level } = c;
    const leaf = kind === LEAF;
    const own = leaf ? pte.decodeFlags(lo, hi) : 0;
    const flags = leaf && c.restrictions !== 0 ? pte.effectiveFlags(lo, hi, c.restrictions) : own;
    visitor({
      depth: top - level,
      level,
      index: c.index,
      va: vaOfPage(meta, c.vpn),
      entryPa: frameToPa(c.table, c.index * 8),
      entry: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0),
      leaf,
      paddr: frameToPa(leaf ? leafFrame(pte, lo, hi, level) : pte.frame(lo, hi), 0),
      flags,
      leafFlags: own === flags ? undefined : own,
      size: PAGES[level] * 4096,
      outside: !leaf && c.outside,
    });
    c.invalidate();
  }
}

/**
 * Tables reached through two or more distinct entries (counting the root
 * register as one), each with every path that reaches it, in order of first
 * reach. Page tables are not entered (their links are enough), so this costs
 * far less than a full walk. See `PageTable64.aliases`.
 */
export function findAliases(
  meta: PagingMetaData,
  h: PhysMemory,
  root: number,
  options?: EnumerateOptions,
): TableAlias[] {
  const c = new TreeCursor(meta, h, root, budgetOf(options), 1);
  const pte = meta.pte;
  const top = meta.levels - 1;
  const found = new Map<number, { reaches: TableReach[]; referrers: Set<number> }>();
  found.set(root, {
    reaches: [{ va: vaOfPage(meta, 0), level: top, size: PAGES[top] * 512 * 4096, entryPa: undefined }],
    referrers: new Set([-1]),
  });
  for (;;) {
    const kind = c.next();
    if (kind === END) break;
    if (kind === BUDGET) throw new WalkBudgetError(c.entries, vaOfPage(meta, c.vpn));
    if (kind !== TABLE || c.outside) continue;
    const child = pte.frame(c.lo, c.hi);
    let rec = found.get(child);
    if (rec === undefined) {
      rec = { reaches: [], referrers: new Set() };
      found.set(child, rec);
    }
    // An entry is known by its word position: table frame × 512 + index (exact below 2^53).
    rec.referrers.add(c.table * 512 + c.index);
    rec.reaches.push({
      va: vaOfPage(meta, c.vpn),
      level: c.level - 1,
      size: PAGES[c.level] * 4096,
      entryPa: frameToPa(c.table, c.index * 8),
    });
  }
  const out: TableAlias[] = [];
  for (const [frame, rec] of found) {
    if (rec.referrers.size >= 2) out.push({ paddr: frameToPa(frame, 0), reaches: rec.reaches });
  }
  return out;
}
