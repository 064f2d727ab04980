/**
 * `PageTable64`: the generic multi-level walker over 512-entry tables that
 * live in physical memory, for every architecture and 3, 4 or 5 levels.
 *
 * Levels are numbered from the leaves: level 0 holds 4 KiB pages, level 1
 * 2 MiB blocks, level 2 1 GiB blocks, the root is level `levels - 1`.
 * A virtual address travels as two unsigned 32-bit halves; no bigint is
 * touched below the API's edge.
 *
 * @module
 */

import {
  ADDR_MAX,
  type AddrLike,
  type PhysAddr,
  type VirtAddr,
  fromHalves,
  split64,
  splitHi,
  splitLo,
} from '@page-table/memory-addr';
import { PagingError } from './error.js';
import { MAPPING_FLAGS_ALL, type MappingFlags } from './flags.js';
import type { PagingHandler } from './handler.js';
import type { FlushTlb, PagingMetaData } from './metadata.js';
import { type PageSize, isPageSize, levelPageSize, pageSizeLevel } from './page-size.js';
import type { GenericPTE } from './pte.js';
import { UndoJournal } from './journal.js';
import {
  type EnumerateOptions,
  type Mapping,
  type TableAlias,
  type WalkEntry,
  enumerateMappings,
  findAliases,
  frameToPa,
  vaOfPage,
  walkEntries,
} from './mappings.js';
import { TlbFlusher } from './tlb.js';

/** Options of a page table. */
export interface PageTableOptions {
  /** Called by {@link PageTable64.flush} for each recorded VA, or once with `undefined` for a full flush. */
  flushTlb?: FlushTlb;
}

/** Options of a page table adopted from an existing root. */
export interface AdoptOptions extends PageTableOptions {
  /**
   * Whether the adopted tree belongs to this instance, so that `destroy()`
   * frees all of its table frames. Default false: the tree (including tables
   * this instance adds to it) belongs to whoever built it, and `destroy()`
   * frees nothing.
   */
  owned?: boolean;
}

/** A leaf mapping found by `query` or removed by `unmap`. */
export interface QueryResult {
  /** PA the VA translates to (for `unmap`: the leaf's base PA). */
  paddr: PhysAddr;
  /** The leaf's flags. */
  flags: MappingFlags;
  /** The leaf's size. */
  size: PageSize;
}

const TWO32 = 4294967296;
const SAFE_FRAME_LIMIT = 2 ** 41; // frame * 4096 stays below 2^53
const PAGES_PER_LEVEL = [1, 512, 262144, 134217728, 68719476736, 35184372088832];
/** In-page offset mask of the VA's low half for a leaf at each level. */
const OFFSET_MASK = [0xfff, 0x1f_ffff, 0x3fff_ffff];

/**
 * `x mod m` for a non-negative integer-valued double and a power of two `m`.
 * `%` on doubles beyond int32 is a runtime call in V8; division by a power
 * of two is exact, so this stays in registers.
 */
function mod(x: number, m: number): number {
  return x - Math.floor(x / m) * m;
}

/** Whether a frame number (possibly fractional for an unaligned PA) is a whole frame. */
function whole(frame: number): boolean {
  return Math.floor(frame) === frame;
}

/**
 * Index of a VA, given as unsigned 32-bit halves, in a 512-entry table at
 * `level` (0 = the 4 KiB page table; 9 VA bits per level above the 12-bit
 * page offset). Shared by the walker and the arch MMUs.
 */
export function entryIndex(hi: number, lo: number, level: number): number {
  // A conditional chain, not a switch: V8 keeps it inline in the walk loops.
  return level === 0
    ? (lo >>> 12) & 511
    : level === 1
      ? (lo >>> 21) & 511
      : level === 2
        ? ((lo >>> 30) | (hi << 2)) & 511
        : level === 3
          ? (hi >>> 7) & 511
          : (hi >>> 16) & 511;
}

function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

/**
 * A page table of 512-entry tables in physical memory, walked generically and
 * encoded by the metadata's codec.
 *
 * Every modifying call either completes or throws a {@link PagingError} having
 * changed nothing (no entry written, no frame kept). VAs are checked for
 * canonical form and PAs against the arch's width on every call. Modified
 * VAs are recorded for TLB maintenance until {@link flush}.
 */
export class PageTable64 implements Disposable {
  /** The paging mode. */
  readonly meta: PagingMetaData;
  /** The memory and frame allocator holding the tables. */
  readonly handler: PagingHandler;

  private readonly pte: GenericPTE;
  private readonly root: number;
  private readonly top: number;
  private readonly vaMask: number;
  // The two values the VA's top bits (under vaMask) may take.
  private readonly vaLow: number;
  private readonly vaHigh: number;
  private readonly paFrameLimit: number;
  private readonly owned: boolean;
  private readonly borrowed = new Uint8Array(512);
  private readonly tlb: TlbFlusher;
  private destroyed = false;
  // The VA being worked on, as halves (set by splitVa).
  private vhi = 0;
  private vlo = 0;
  // The level at which the last lookup stopped (at its leaf, or at the hole).
  private stopLevel = 0;
  // The last flag set that passed checkFlags (-1: none yet).
  private okFlags = -1;
  // Word index of the last-level table that received the last leaf written by mapLeaf.
  private leafTable = -1;
  // The leaf entry found by the last queryPa, decoded only when asked.
  private lastLo = 0;
  private lastHi = 0;
  private lastLevel = 0;
  private readonly journal = new UndoJournal();

  /**
   * Wraps a root table at `root`. Arch packages call this from their
   * `create` / `fromRoot`; `owned` says whether `destroy()` frees the whole tree.
   */
  constructor(
    meta: PagingMetaData,
    handler: PagingHandler,
    root: PhysAddr,
    owned: boolean,
    options: PageTableOptions = {},
  ) {
    this.meta = meta;
    this.handler = handler;
    this.pte = meta.pte;
    this.top = meta.levels - 1;
    const topBit = meta.vaCheck === 'sign-extend' ? meta.vaBits - 1 : meta.vaBits;
    this.vaMask = ~0 << (topBit - 32);
    this.vaLow = meta.vaCheck === 'top-bits-upper' ? this.vaMask : 0;
    this.vaHigh = meta.vaCheck === 'top-bits-lower' ? 0 : this.vaMask;
    this.paFrameLimit = 2 ** (meta.paBits - 12);
    const rootFrame = this.checkPa(root, 'root table');
    if (!whole(rootFrame)) throw new PagingError('NotAligned', `root table PA ${hex(root)} is not 4 KiB aligned`);
    if (handler.frameWord(rootFrame) < 0) {
      throw new PagingError('InvalidAddress', `root table PA ${hex(root)} is outside physical memory`);
    }
    this.root = rootFrame;
    this.owned = owned;
    this.tlb = new TlbFlusher(options.flushTlb ?? meta.flushTlb);
  }

  /** Allocates a zeroed 4 KiB frame for a root table; throws `NoMemory` when none is left. */
  static allocRoot(handler: PagingHandler): PhysAddr {
    const pa = handler.allocFrames(1, 4096);
    if (pa === undefined) throw new PagingError('NoMemory', 'no frame for the root table');
    const w = handler.frameWord(frameFromPa(pa));
    if (w < 0) throw new PagingError('InvalidAddress', `allocator returned PA ${hex(pa)} outside physical memory`);
    handler.words.fill(0, w, w + 1024);
    return pa;
  }

  /** PA of the root table (what CR3 / satp / TTBR / PGD holds). */
  get rootPaddr(): PhysAddr {
    return frameToPa(this.root, 0);
  }

  // ---------------------------------------------------------------- queries

  /** The mapping at `va`: PA (with the in-page offset), flags and page size; `undefined` if nothing is mapped. */
  query(va: AddrLike): QueryResult | undefined {
    this.splitVa(va);
    const w = this.lookup(this.vhi, this.vlo);
    if (w < 0) return undefined;
    const words = this.handler.words;
    const lo = words[w];
    const hi = words[w + 1];
    const level = this.stopLevel;
    const frame = this.leafFrame(lo, hi, level);
    return {
      paddr: frameToPa(frame, offsetIn(this.vlo, level)),
      flags: this.pte.decodeFlags(lo, hi),
      size: levelPageSize(level),
    };
  }

  /**
   * Allocation-free query for emulators: the PA as a number, or -1 if nothing
   * is mapped; {@link lastFlags} and {@link lastSize} then describe the leaf.
   * Throws `InvalidAddress` for a PA at or above 2^53 (use {@link query}).
   */
  queryPa(va: AddrLike): number {
    if (typeof va === 'number' && va >= 0 && va <= Number.MAX_SAFE_INTEGER && Math.floor(va) === va) {
      return this.queryPaHalves((va / TWO32) >>> 0, va >>> 0);
    }
    this.splitVa(va);
    return this.queryPaHalves(this.vhi, this.vlo);
  }

  /** {@link queryPa} with the VA already split into unsigned 32-bit halves (no checks beyond canonical form). */
  queryPaHalves(hi: number, lo: number): number {
    if (!this.canonical(hi)) throw this.nonCanonical(hi, lo);
    // The walk of `lookup`, repeated here on purpose: with the leaf's halves kept in registers
    // (no stopLevel store, no re-read of the entry) a query measured 41 -> 32 ns.
    const h = this.handler;
    const pte = this.pte;
    const words = h.words;
    let table = this.root;
    let level = this.top;
    let elo: number;
    let ehi: number;
    for (;;) {
      const base = h.frameWord(table);
      if (base < 0) throw this.outside(table);
      const w = base + (entryIndex(hi, lo, level) << 1);
      elo = words[w];
      ehi = words[w + 1];
      if (level === 0) {
        if (!pte.page(elo, ehi)) return -1;
        break;
      }
      if (pte.table(elo, ehi)) {
        table = pte.frame(elo, ehi);
        level--;
        continue;
      }
      if (level > 2 || !pte.present(elo, ehi)) return -1;
      break;
    }
    this.lastLo = elo;
    this.lastHi = ehi;
    this.lastLevel = level;
    let frame = pte.frame(elo, ehi);
    if (level !== 0) frame -= mod(frame, PAGES_PER_LEVEL[level]);
    if (frame >= SAFE_FRAME_LIMIT) throw new PagingError('InvalidAddress', 'PA above 2^53: use query()');
    return frame * 4096 + offsetIn(lo, level);
  }

  /** Flags of the leaf found by the last successful {@link queryPa}. */
  get lastFlags(): MappingFlags {
    return this.pte.decodeFlags(this.lastLo, this.lastHi);
  }

  /** Page size of the leaf found by the last successful {@link queryPa}. */
  get lastSize(): PageSize {
    return levelPageSize(this.lastLevel);
  }

  // --------------------------------------------------------------- mappings

  /**
   * Maps one page or block of `size` at `va` to `pa`. Both must be aligned to
   * `size`. Creates missing intermediate tables; on failure frees them again.
   */
  map(va: AddrLike, pa: AddrLike, size: PageSize, flags: MappingFlags): void {
    this.live();
    const level = this.checkSize(size);
    this.checkFlags(flags);
    this.splitVa(va);
    const hi = this.vhi;
    const lo = this.vlo;
    const frame = this.checkPa(pa, 'pa');
    const pages = PAGES_PER_LEVEL[level];
    if (offsetIn(lo, level) !== 0) throw new PagingError('NotAligned', `VA ${hex(va)} is not aligned to ${hex(size)}`);
    if (mod(frame, pages) !== 0) throw new PagingError('NotAligned', `PA ${hex(pa)} is not aligned to ${hex(size)}`);
    this.journal.reset();
    try {
      this.mapLeaf(hi, lo, frame, flags, level, false);
    } catch (e) {
      this.rollback();
      throw e;
    }
    this.tlb.record(hi, lo);
  }

  /** Removes the leaf mapping `va` (a VA inside a block removes the whole block); returns what was mapped. */
  unmap(va: AddrLike): QueryResult {
    this.live();
    this.splitVa(va);
    const w = this.lookupOrThrow(va);
    const words = this.handler.words;
    const lo = words[w];
    const hi = words[w + 1];
    const level = this.stopLevel;
    const result: QueryResult = {
      paddr: frameToPa(this.leafFrame(lo, hi, level), 0),
      flags: this.pte.decodeFlags(lo, hi),
      size: levelPageSize(level),
    };
    words[w] = 0;
    words[w + 1] = 0;
    this.tlb.record(this.vhi, this.vlo);
    return result;
  }

  /** Points the leaf mapping `va` at `pa` with `flags`, keeping its size; `pa` must be aligned to it. Returns the size. */
  remap(va: AddrLike, pa: AddrLike, flags: MappingFlags): PageSize {
    this.live();
    this.checkFlags(flags);
    this.splitVa(va);
    const frame = this.checkPa(pa, 'pa');
    const w = this.lookupOrThrow(va);
    const level = this.stopLevel;
    if (mod(frame, PAGES_PER_LEVEL[level]) !== 0) {
      throw new PagingError('NotAligned', `PA ${hex(pa)} is not aligned to the ${hex(levelPageSize(level))} mapping`);
    }
    this.pte.encodePage(frame, flags, level > 0);
    const words = this.handler.words;
    words[w] = this.pte.lo;
    words[w + 1] = this.pte.hi;
    this.tlb.record(this.vhi, this.vlo);
    return levelPageSize(level);
  }

  /** Changes the flags of the leaf mapping `va` (the whole block for a VA inside one). Returns its size. */
  protect(va: AddrLike, flags: MappingFlags): PageSize {
    this.live();
    this.checkFlags(flags);
    this.splitVa(va);
    const w = this.lookupOrThrow(va);
    const level = this.stopLevel;
    const words = this.handler.words;
    this.pte.encodePage(this.pte.frame(words[w], words[w + 1]), flags, level > 0);
    words[w] = this.pte.lo;
    words[w + 1] = this.pte.hi;
    this.tlb.record(this.vhi, this.vlo);
    return levelPageSize(level);
  }

  // ----------------------------------------------------------------- regions

  /**
   * Maps `size` bytes at `va`. `pa` is either the first PA of a linear range
   * or a function giving the PA of each step's VA. With `allowHuge`, each step
   * uses a 1 GiB or 2 MiB block when VA, PA and the remaining size allow.
   * All or nothing: on any error the tables are exactly as before.
   */
  mapRegion(
    va: AddrLike,
    pa: AddrLike | ((va: VirtAddr) => AddrLike),
    size: AddrLike,
    flags: MappingFlags,
    allowHuge = false,
  ): void {
    this.live();
    this.checkFlags(flags);
    const region = this.checkRegion(va, size);
    if (region === undefined) return;
    let [vpn, pages] = region;
    const fn = typeof pa === 'function' ? pa : undefined;
    let paFrame = 0;
    if (fn === undefined) {
      paFrame = this.checkPa(pa as AddrLike, 'pa');
      if (!whole(paFrame)) throw new PagingError('NotAligned', `PA ${hex(pa as AddrLike)} is not 4 KiB aligned`);
      if (paFrame + pages > this.paFrameLimit) {
        throw new PagingError('InvalidAddress', `PA range ends past ${this.meta.paBits} bits`);
      }
    }
    this.journal.reset();
    // One record per leaf at most, plus the tables: 4K steps need room for every page.
    this.journal.reserve(allowHuge ? 1024 : Math.min(pages, 1 << 20) + 64);
    const pte = this.pte;
    // Word index of the last-level table of the previous 4K step, and the entry after it (-1: walk from the root).
    let lastTable = -1;
    let slot = -1;
    try {
      while (pages > 0) {
        let frame = paFrame;
        if (fn !== undefined) {
          const target = fn(this.vpnToVa(vpn));
          frame = this.checkPa(target, 'pa');
          if (!whole(frame)) throw new PagingError('NotAligned', `PA ${hex(target)} for VA ${hex(this.vpnToVa(vpn))} is not 4 KiB aligned`);
        }
        let level = 0;
        if (allowHuge) {
          if (pages >= 262144 && mod(vpn, 262144) === 0 && mod(frame, 262144) === 0) level = 2;
          else if (pages >= 512 && mod(vpn, 512) === 0 && mod(frame, 512) === 0) level = 1;
        }
        if (level === 0 && slot >= 0 && slot < 512) {
          // The next entry of the last-level table the previous 4K step wrote: no walk from the root.
          const w = lastTable + slot * 2;
          const words = this.handler.words;
          const elo = words[w];
          const ehi = words[w + 1];
          if (pte.page(elo, ehi)) throw new PagingError('AlreadyMapped', `VA ${hex(this.vpnToVa(vpn))} is already mapped`);
          pte.encodePage(frame, flags, false);
          this.journal.record(w, elo, ehi, -1);
          words[w] = pte.lo;
          words[w + 1] = pte.hi;
          slot++;
        } else {
          this.mapLeaf(Math.floor(vpn / 1048576) >>> 0, (mod(vpn, 1048576) * 4096) >>> 0, frame, flags, level, true);
          lastTable = this.leafTable;
          slot = level === 0 ? mod(vpn, 512) + 1 : -1;
        }
        const step = PAGES_PER_LEVEL[level];
        vpn += step;
        pages -= step;
        paFrame += step;
      }
    } catch (e) {
      this.rollback();
      throw e;
    }
    this.recordRegion(region[0], region[1]);
  }

  /**
   * Removes every leaf in `[va, va + size)`, stepping over holes. A block that
   * crosses either end of the region is a `MappedToHugePage` error, and then
   * nothing is removed.
   */
  unmapRegion(va: AddrLike, size: AddrLike): void {
    this.live();
    const region = this.checkRegion(va, size);
    if (region === undefined) return;
    this.forEachLeaf(region[0], region[1], false, 0);
    this.forEachLeaf(region[0], region[1], true, -1);
    this.recordRegion(region[0], region[1]);
  }

  /**
   * Sets `flags` on every leaf in `[va, va + size)`, stepping over holes. A
   * block that crosses either end of the region is a `MappedToHugePage`
   * error, and then nothing is changed.
   */
  protectRegion(va: AddrLike, size: AddrLike, flags: MappingFlags): void {
    this.live();
    this.checkFlags(flags);
    const region = this.checkRegion(va, size);
    if (region === undefined) return;
    this.forEachLeaf(region[0], region[1], false, 0);
    this.forEachLeaf(region[0], region[1], true, flags);
    this.recordRegion(region[0], region[1]);
  }

  // ------------------------------------------------------------ inspection

  /**
   * Visits every present entry depth-first in VA order (table links before
   * their contents), under every VA that reaches it, as the CPU translates: a
   * table linked from several entries (aliasing, a recursive self-link) is
   * walked under each. Termination is bounded by the level count, the work
   * by `options.maxEntries` (then {@link WalkBudgetError}). A link to a table
   * outside backed memory is reported (`outside`) and not followed.
   */
  walk(visitor: (entry: WalkEntry) => void, options?: EnumerateOptions): void {
    this.live();
    walkEntries(this.meta, this.handler, this.root, visitor, options);
  }

  /**
   * Leaf mappings in VA order, with runs of contiguous VA and PA, equal flags
   * and page size merged (like `info mem`), under every VA that reaches them
   * (see {@link walk}). `flags` are the effective permissions (the leaf's own
   * less what the tables above take away), `leafFlags` the leaf's own where
   * they differ. Lazy: memory does not grow with the number of leaves. On
   * budget exhaustion the runs found so far are yielded, then a
   * {@link WalkBudgetError} says how far the walk got.
   */
  mappings(options?: EnumerateOptions): Generator<Mapping, void, undefined> {
    this.live();
    return enumerateMappings(this.meta, this.handler, this.root, options);
  }

  /**
   * Tables shared by several VA ranges (reached through two or more distinct
   * entries, the root register counting as one), each with every path that
   * reaches it: aliasing as gdb-pt-dump reports it.
   */
  aliases(options?: EnumerateOptions): TableAlias[] {
    this.live();
    return findAliases(this.meta, this.handler, this.root, options);
  }

  // ------------------------------------------------------- sharing and TLB

  /**
   * Shares the root entries covering `[start, start + size)` of `other` (same
   * paging mode and memory) with this table. Subtrees this table had there
   * are freed; shared ones are never freed by this table.
   */
  copyFrom(other: PageTable64, start: AddrLike, size: AddrLike): void {
    this.live();
    other.live();
    if (other.meta !== this.meta || other.handler !== this.handler) {
      throw new PagingError('InvalidAddress', 'copyFrom needs a table of the same paging mode in the same memory');
    }
    const region = this.checkRegion(start, size);
    if (region === undefined) return;
    const shift = PAGES_PER_LEVEL[this.top];
    const first = Math.floor(region[0] / shift) % 512;
    const last = Math.floor((region[0] + region[1] - 1) / shift) % 512;
    const h = this.handler;
    const seen = new Set<number>();
    for (let i = first; i <= last; i++) {
      let dst = h.frameWord(this.root);
      const words = h.words;
      const lo = words[dst + 2 * i];
      const hi = words[dst + 2 * i + 1];
      if (this.borrowed[i] === 0 && this.pte.table(lo, hi)) {
        this.freeTree(this.pte.frame(lo, hi), this.top - 1, seen);
      }
      const src = h.frameWord(other.root);
      dst = h.frameWord(this.root);
      const w = h.words;
      w[dst + 2 * i] = w[src + 2 * i];
      w[dst + 2 * i + 1] = w[src + 2 * i + 1];
      this.borrowed[i] = this.pte.table(w[dst + 2 * i], w[dst + 2 * i + 1]) ? 1 : 0;
    }
    this.tlb.recordFull();
  }

  /** Issues the recorded TLB maintenance through the flush hook, then forgets it. */
  flush(): void {
    this.tlb.flush();
  }

  /** The TLB maintenance recorded since the last {@link flush}: `'full'` or the VAs (at most 32). */
  get pendingFlush(): 'full' | VirtAddr[] {
    return this.tlb.pending();
  }

  /**
   * Frees every table frame of this table's tree (for `create()`d tables and
   * trees adopted with `owned: true`; nothing otherwise), never subtrees
   * shared in with {@link copyFrom}. The table is unusable afterwards; calling it again does nothing.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const h = this.handler;
    if (!this.owned) return;
    const seen = new Set<number>();
    for (let i = 0; i < 512; i++) {
      const base = h.frameWord(this.root);
      const words = h.words;
      if (this.borrowed[i] === 0 && this.pte.table(words[base + 2 * i], words[base + 2 * i + 1])) {
        this.freeTree(this.pte.frame(words[base + 2 * i], words[base + 2 * i + 1]), this.top - 1, seen);
      }
    }
    h.deallocFrames(frameToPa(this.root, 0), 1);
  }

  /** Same as {@link destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // ---------------------------------------------------------------- internals

  /** Splits and checks a VA into {@link vhi}/{@link vlo}. */
  private splitVa(va: AddrLike): void {
    let hi: number;
    let lo: number;
    if (typeof va === 'number') {
      if (!(va >= 0 && va <= Number.MAX_SAFE_INTEGER && Math.floor(va) === va)) {
        throw new PagingError('InvalidAddress', `VA ${va} is not a safe non-negative integer`);
      }
      lo = va >>> 0;
      hi = (va / TWO32) >>> 0;
    } else if (typeof va === 'bigint') {
      if (!(va >= 0n && va <= ADDR_MAX)) throw new PagingError('InvalidAddress', `VA ${hex(va)} is outside 0..2^64-1`);
      split64(va);
      hi = splitHi();
      lo = splitLo();
    } else {
      throw new PagingError('InvalidAddress', `VA must be a number or bigint, got ${typeof va}`);
    }
    if (!this.canonical(hi)) throw this.nonCanonical(hi, lo);
    this.vhi = hi;
    this.vlo = lo;
  }

  private canonical(hi: number): boolean {
    const m = hi & this.vaMask;
    return m === this.vaLow || m === this.vaHigh;
  }

  private nonCanonical(hi: number, lo: number): PagingError {
    return new PagingError('InvalidAddress', `VA ${hex(fromHalves(hi, lo))} is not canonical for ${this.meta.name}`);
  }

  /** Checks a PA against the arch's width; returns its frame number (fractional if unaligned). */
  private checkPa(pa: AddrLike, what: string): number {
    let frame: number;
    if (typeof pa === 'number') {
      if (!(pa >= 0 && pa <= Number.MAX_SAFE_INTEGER && Math.floor(pa) === pa)) {
        throw new PagingError('InvalidAddress', `${what} ${pa} is not a safe non-negative integer`);
      }
      frame = pa / 4096;
    } else if (typeof pa === 'bigint') {
      if (!(pa >= 0n && pa <= ADDR_MAX)) throw new PagingError('InvalidAddress', `${what} ${hex(pa)} is outside 0..2^64-1`);
      split64(pa);
      const lo = splitLo();
      frame = splitHi() * 1048576 + (lo >>> 12) + ((lo & 0xfff) !== 0 ? 0.5 : 0);
    } else {
      throw new PagingError('InvalidAddress', `${what} must be a number or bigint, got ${typeof pa}`);
    }
    if (frame >= this.paFrameLimit) {
      throw new PagingError('InvalidAddress', `${what} ${hex(pa)} is beyond the ${this.meta.paBits}-bit physical address space`);
    }
    return frame;
  }

  private checkFlags(flags: MappingFlags): void {
    if (flags === this.okFlags) return;
    if (!Number.isInteger(flags) || flags < 0 || (flags & ~MAPPING_FLAGS_ALL) !== 0) {
      throw new PagingError('UnsupportedFlags', `unknown flag bits in ${flags}`);
    }
    if ((flags & 7) === 0) throw new PagingError('UnsupportedFlags', 'a mapping needs READ, WRITE or EXECUTE');
    const why = this.pte.checkFlags(flags);
    if (why !== undefined) throw new PagingError('UnsupportedFlags', `${this.meta.name}: ${why}`);
    this.okFlags = flags;
  }

  private checkSize(size: PageSize): number {
    if (!isPageSize(size)) throw new PagingError('NotAligned', `${size} is not a page size`);
    const level = pageSizeLevel(size);
    if (level > this.top) throw new PagingError('NotAligned', `${this.meta.name} has no ${hex(size)} pages`);
    return level;
  }

  /** Checks a region; returns [first VPN, page count], or undefined for an empty one. */
  private checkRegion(va: AddrLike, size: AddrLike): [number, number] | undefined {
    this.splitVa(va);
    const hi = this.vhi;
    const lo = this.vlo;
    if ((lo & 0xfff) !== 0) throw new PagingError('NotAligned', `region start ${hex(va)} is not 4 KiB aligned`);
    let pages: number;
    if (typeof size === 'number') {
      if (!(size >= 0 && Number.isSafeInteger(size))) throw new PagingError('NotAligned', `region size ${size} is not a safe non-negative integer`);
      if (size % 4096 !== 0) throw new PagingError('NotAligned', `region size ${hex(size)} is not a multiple of 4 KiB`);
      pages = size / 4096;
    } else {
      if (size < 0n || (size & 0xfffn) !== 0n) throw new PagingError('NotAligned', `region size ${hex(size)} is not a multiple of 4 KiB`);
      pages = Number(size >> 12n);
    }
    if (pages === 0) return undefined;
    const vpn = hi * 1048576 + (lo >>> 12);
    const lastVpn = vpn + pages - 1;
    if (lastVpn >= 2 ** 52) throw new PagingError('InvalidAddress', `region at ${hex(va)} runs past 2^64`);
    const lastHi = Math.floor(lastVpn / 1048576) >>> 0;
    const half = (h: number) => (h & this.vaMask) !== 0;
    if (!this.canonical(lastHi) || half(lastHi) !== half(hi)) {
      throw new PagingError('InvalidAddress', `region at ${hex(va)} of ${hex(size)} bytes leaves the canonical range`);
    }
    return [vpn, pages];
  }

  private live(): void {
    if (this.destroyed) throw new Error('page table was destroyed');
  }

  /**
   * Walks to the leaf covering (hi, lo): its word index, or -1 for a hole.
   * Sets {@link stopLevel} to the level where the walk ended either way.
   */
  private lookup(hi: number, lo: number): number {
    const h = this.handler;
    const pte = this.pte;
    const words = h.words;
    let frame = this.root;
    let level = this.top;
    let w: number;
    for (;;) {
      const base = h.frameWord(frame);
      if (base < 0) throw this.outside(frame);
      w = base + (entryIndex(hi, lo, level) << 1);
      const elo = words[w];
      const ehi = words[w + 1];
      if (level === 0) {
        if (!pte.page(elo, ehi)) w = -1;
        break;
      }
      if (pte.table(elo, ehi)) {
        frame = pte.frame(elo, ehi);
        level--;
        continue;
      }
      if (level > 2 || !pte.present(elo, ehi)) w = -1;
      break;
    }
    this.stopLevel = level;
    return w;
  }

  private lookupOrThrow(va: AddrLike): number {
    const w = this.lookup(this.vhi, this.vlo);
    if (w < 0) throw new PagingError('NotMapped', `nothing is mapped at VA ${hex(va)}`);
    return w;
  }

  private outside(frame: number): PagingError {
    return new PagingError('InvalidAddress', `table at PA ${hex(frame * 4096)} is outside physical memory`);
  }

  /** Leaf address as a frame number, aligned down to the leaf's size (bits below it are attributes, e.g. x86 PAT). */
  private leafFrame(lo: number, hi: number, level: number): number {
    const frame = this.pte.frame(lo, hi);
    return level === 0 ? frame : frame - mod(frame, PAGES_PER_LEVEL[level]);
  }

  /**
   * Writes one leaf at `level`, creating tables on the way. Every table link
   * goes to the journal, the leaf too when `journalLeaf` (a region's later
   * step may still fail).
   */
  private rollback(): void {
    this.journal.rollback(this.handler, (frame) => frameToPa(frame, 0));
  }

  private mapLeaf(hi: number, lo: number, frame: number, flags: MappingFlags, target: number, journalLeaf: boolean): void {
    const h = this.handler;
    const pte = this.pte;
    let table = this.root;
    for (let level = this.top; ; level--) {
      const base = h.frameWord(table);
      if (base < 0) throw this.outside(table);
      const index = entryIndex(hi, lo, level);
      const w = base + (index << 1);
      let words = h.words;
      const elo = words[w];
      const ehi = words[w + 1];
      if (level === target) {
        if (level === 0 ? pte.page(elo, ehi) : pte.present(elo, ehi) || pte.table(elo, ehi)) {
          throw new PagingError('AlreadyMapped', `VA ${hex(fromHalves(hi, lo))} is already mapped`);
        }
        pte.encodePage(frame, flags, level > 0);
        if (journalLeaf) this.journal.record(w, elo, ehi, -1);
        words[w] = pte.lo;
        words[w + 1] = pte.hi;
        this.leafTable = base;
        return;
      }
      if (pte.table(elo, ehi)) {
        table = pte.frame(elo, ehi);
        continue;
      }
      if (pte.present(elo, ehi)) {
        throw new PagingError('MappedToHugePage', `VA ${hex(fromHalves(hi, lo))} lies in a ${hex(levelPageSize(level))} block`);
      }
      const pa = h.allocFrames(1, 4096);
      if (pa === undefined) throw new PagingError('NoMemory', 'no frame for a page table');
      const next = frameFromPa(pa);
      const nb = h.frameWord(next);
      if (nb < 0) {
        h.deallocFrames(pa, 1);
        throw this.outside(next);
      }
      words = h.words;
      const at = h.frameWord(table) + (index << 1);
      this.journal.record(at, elo, ehi, next);
      this.journal.clearFrame(words, nb);
      pte.encodeTable(next);
      words[at] = pte.lo;
      words[at + 1] = pte.hi;
      table = next;
    }
  }

  /**
   * Visits the leaves of `pages` pages from `vpn`. Check pass (`commit`
   * false): throws if a block crosses an end. Commit pass: `flags` -1 clears
   * each leaf, otherwise re-encodes it with `flags`.
   */
  private forEachLeaf(vpn: number, pages: number, commit: boolean, flags: number): void {
    const end = vpn + pages;
    const pte = this.pte;
    // The last-level table of the previous 4K leaf (word index, first VPN): its neighbours need no walk.
    let table = -1;
    let tableVpn = -1;
    while (vpn < end) {
      const slot = mod(vpn, 512);
      let w: number;
      let level: number;
      if (table >= 0 && vpn - slot === tableVpn) {
        w = table + slot * 2;
        level = 0;
        const words = this.handler.words;
        if (!pte.page(words[w], words[w + 1])) w = -1;
      } else {
        w = this.lookup(Math.floor(vpn / 1048576) >>> 0, (mod(vpn, 1048576) * 4096) >>> 0);
        level = this.stopLevel;
        if (w >= 0 && level === 0) {
          table = w - slot * 2;
          tableVpn = vpn - slot;
        }
      }
      const span = PAGES_PER_LEVEL[level];
      const first = vpn - mod(vpn, span);
      if (w < 0) {
        vpn = first + span;
        continue;
      }
      if (!commit) {
        if (first !== vpn || first + span > end) {
          throw new PagingError(
            'MappedToHugePage',
            `the ${hex(levelPageSize(level))} block at VA ${hex(this.vpnToVa(first))} crosses the region's edge`,
          );
        }
      } else {
        const words = this.handler.words;
        if (flags < 0) {
          words[w] = 0;
          words[w + 1] = 0;
        } else {
          pte.encodePage(pte.frame(words[w], words[w + 1]), flags, level > 0);
          words[w] = pte.lo;
          words[w + 1] = pte.hi;
        }
      }
      vpn = first + span;
    }
  }


  private recordRegion(vpn: number, pages: number): void {
    if (pages > 32) {
      this.tlb.recordFull();
      return;
    }
    for (let i = 0; i < pages; i++) {
      const v = vpn + i;
      this.tlb.record(Math.floor(v / 1048576) >>> 0, (mod(v, 1048576) * 4096) >>> 0);
    }
  }

  /** The VA of a page number, sign-extended above the arch's VA width. */
  private vpnToVa(vpn: number): VirtAddr {
    return vaOfPage(this.meta, vpn);
  }


  private freeTree(table: number, level: number, seen: Set<number>): void {
    if (seen.has(table)) return;
    seen.add(table);
    const h = this.handler;
    if (h.frameWord(table) < 0) return;
    if (level > 0) {
      for (let i = 0; i < 512; i++) {
        const base = h.frameWord(table);
        const words = h.words;
        const lo = words[base + 2 * i];
        const hi = words[base + 2 * i + 1];
        if (this.pte.table(lo, hi)) this.freeTree(this.pte.frame(lo, hi), level - 1, seen);
      }
    }
    h.deallocFrames(frameToPa(table, 0), 1);
  }
}

/** In-page offset of the VA's low half for a leaf at `level`. */
function offsetIn(lo: number, level: number): number {
  return lo & OFFSET_MASK[level];
}

function frameFromPa(pa: PhysAddr): number {
  return typeof pa === 'number' ? pa / 4096 : Number((pa as bigint) >> 12n);
}
