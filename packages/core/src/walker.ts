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
  fromHalves,
  type PhysAddr,
  split64,
  splitHi,
  splitLo,
  type VirtAddr,
} from '@page-table/memory-addr';
import { PagingError } from './error.js';
import { MAPPING_FLAGS_ALL, type MappingFlags } from './flags.js';
import type { PagingHandler } from './handler.js';
import { UndoJournal } from './journal.js';
import {
  type EnumerateOptions,
  enumerateMappings,
  findAliases,
  frameToPa,
  type Mapping,
  type TableAlias,
  unboxed,
  vaOfPage,
  type WalkEntry,
  walkEntries,
} from './mappings.js';
import { type FlushTlb, type PagingMetaData, topTableEntries } from './metadata.js';
import { isPageSize, levelPageSize, type PageSize, pageSizeLevel } from './page-size.js';
import type { GenericPTE } from './pte.js';
import { TlbFlusher } from './tlb.js';

declare global {
  // Declared here so that the `.d.ts` compiles under any `lib` (ES2022 without `esnext.disposable`, TS 5.0 to 5.1):
  // the same declaration as TypeScript's own lib and @types/node, which it merges with.
  interface SymbolConstructor {
    /** The method a `using` declaration calls at the end of its scope (explicit resource management). */
    readonly dispose: unique symbol;
  }
}

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
// Values of PageTable64's state.
const IDLE = 0;
const BUSY = 1;
const DESTROYED = 2;
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

/**
 * Whether a frame number (possibly fractional for an unaligned PA) is a whole
 * frame. `Number.isInteger`, not a compare: V8 compiles it for any number,
 * where a compare that only saw small integers deoptimises on a boxed one.
 */
function whole(frame: number): boolean {
  return Number.isInteger(frame);
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

/**
 * VA bits 12..43 of (hi, lo) as one int32: the indices of levels 0, 1 and 2
 * from bits 0, 9 and 18 (level 3's and 4's are `hi >>> 7` from bits 0 and 9).
 */
function vaLow27(hi: number, lo: number): number {
  return (lo >>> 12) | (hi << 20);
}

function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

/** An argument for a message, whatever its type (a Symbol cannot go through a template). */
function show(x: unknown): string {
  return typeof x === 'number' || typeof x === 'bigint'
    ? hex(x)
    : typeof x === 'symbol'
      ? x.toString()
      : `${typeof x} ${String(x)}`;
}

/**
 * A page table of 512-entry tables in physical memory, walked generically and
 * encoded by the metadata's codec.
 *
 * Every modifying call either completes or throws a {@link PagingError} having
 * changed nothing (no entry written, no frame kept). VAs are checked for
 * canonical form and PAs against the arch's width on every call. Modified
 * VAs are recorded for TLB maintenance until {@link flush}.
 *
 * Not re-entrant: a modifying call made while another one on the same table
 * runs user code (a `mapRegion` PA callback, a TLB-flush hook) throws `Busy`
 * and changes nothing; queries are allowed there. After {@link destroy}
 * every method throws `Destroyed`.
 */
export class PageTable64 {
  /** The paging mode. */
  readonly meta: PagingMetaData;
  /** The memory and frame allocator holding the tables. */
  readonly handler: PagingHandler;

  private readonly pte: GenericPTE;
  private readonly root: number;
  private readonly top: number;
  // Index mask of the root table: 511, or topTableEntries - 1 for a partial top table.
  private readonly topMask: number;
  private readonly vaMask: number;
  // The two values the VA's top bits (under vaMask) may take.
  private readonly vaLow: number;
  private readonly vaHigh: number;
  private readonly paFrameLimit: number;
  private readonly owned: boolean;
  private readonly borrowed = new Uint8Array(512);
  private readonly tlb: TlbFlusher;
  // IDLE, BUSY (a call that runs user code — a mapRegion callback, a flush hook — is under way) or DESTROYED.
  private state = IDLE;
  // Fields that take uint32 values or frame numbers start as -0, a double: V8 then gives them their
  // final representation at once, where a first value above 2^30 would change the object's shape
  // later and deoptimise every caller compiled before.
  // The VA being worked on, as halves (set by splitVa).
  private vhi = -0;
  private vlo = -0;
  // Where the last descend stopped: the level, and the frame of the table holding the entry.
  private stopLevel = 0;
  private stopTable = -0;
  // The word index of the last-level entry where the last leafAt found a hole (read by map's fast path).
  private stopWord = -0;
  // The last flag set that passed checkFlags (NaN, equal to nothing: none yet).
  private okFlags = Number.NaN;
  // The leaf found by the last successful leafAt (a query, protect or unmap), decoded only when asked:
  // its halves, level and word index.
  private lastLo = -0;
  private lastHi = -0;
  private lastLevel = 0;
  private lastWord = -0;
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
    const entries = topTableEntries(meta);
    if (!(entries >= 2 && Number.isInteger(entries)))
      throw new RangeError(`${meta.name}: ${meta.vaBits}-bit VAs leave ${meta.levels} levels no root table`);
    this.topMask = (entries - 1) | 0;
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
    let hi = -1;
    let lo = 0;
    if (typeof va === 'number' && this.state !== DESTROYED) {
      hi = this.fastHi(va);
      lo = va >>> 0;
    } else if (typeof va === 'bigint' && this.bigFast(va)) {
      hi = splitHi();
      lo = splitLo();
    }
    if (hi < 0) {
      this.live();
      this.splitVa(va);
      hi = this.vhi;
      lo = this.vlo;
    }
    const frame = this.leafAt(hi, lo);
    if (frame < 0) return undefined;
    const level = this.lastLevel;
    return {
      paddr: frameToPa(frame, offsetIn(lo, level)),
      flags: this.pte.decodeFlags(this.lastLo, this.lastHi),
      size: levelPageSize(level),
    };
  }

  /**
   * Allocation-free query for emulators: the PA as a number, or -1 if nothing
   * is mapped; {@link lastFlags} and {@link lastSize} then describe the leaf.
   * Throws `InvalidAddress` for a PA at or above 2^53 (use {@link query}).
   */
  queryPa(va: AddrLike): number {
    if (typeof va === 'number' && this.state !== DESTROYED) {
      const hi = this.fastHi(va);
      if (hi >= 0) return this.paAt(hi, va >>> 0);
    }
    return this.queryPaOther(va);
  }

  /** {@link queryPa} of a bigint VA (its own fast path) or of anything the number fast path does not take. */
  private queryPaOther(va: AddrLike): number {
    if (typeof va === 'bigint' && this.bigFast(va)) return this.paAt(splitHi(), splitLo());
    this.live();
    this.splitVa(va);
    return this.paAt(this.vhi, this.vlo);
  }

  /** {@link queryPa} with the VA already split into unsigned 32-bit halves (no checks beyond canonical form). */
  queryPaHalves(hi: number, lo: number): number {
    this.live();
    if (!this.canonical(hi)) throw this.nonCanonical(hi, lo);
    return this.paAt(hi, lo);
  }

  /** Flags of the leaf found by the last successful {@link queryPa} (or `query`, `protect`, `unmap`). */
  get lastFlags(): MappingFlags {
    return this.pte.decodeFlags(this.lastLo, this.lastHi);
  }

  /** Page size of the leaf found by the last successful {@link queryPa} (or `query`, `protect`, `unmap`). */
  get lastSize(): PageSize {
    return levelPageSize(this.lastLevel);
  }

  // --------------------------------------------------------------- mappings

  /**
   * Maps one page or block of `size` at `va` to `pa`. Both must be aligned to
   * `size`. Creates missing intermediate tables; on failure frees them again.
   */
  map(va: AddrLike, pa: AddrLike, size: PageSize, flags: MappingFlags): void {
    // The common case in one guard: number VA and PA, a 4 KiB page, the last flags seen, an empty
    // entry in a present table. Everything else takes the checked path, which explains the errors.
    if (
      typeof va === 'number' &&
      typeof pa === 'number' &&
      size === 4096 &&
      flags === this.okFlags &&
      this.state === IDLE
    ) {
      const hi = this.fastHi(va);
      const lo = va >>> 0;
      const frame = pa / 4096;
      if (hi >= 0 && (lo & 0xfff) === 0 && frame >= 0 && frame < this.paFrameLimit && Math.floor(frame) === frame) {
        // A hole in the last-level table: leafAt leaves its word index in stopWord.
        const words = this.handler.words;
        if (
          this.leafAt(hi, lo) < 0 &&
          this.stopLevel === 0 &&
          (words[this.stopWord] | words[this.stopWord + 1]) === 0
        ) {
          const w = this.stopWord;
          const pte = this.pte;
          pte.encodePage(frame, flags, false);
          words[w] = pte.lo;
          words[w + 1] = pte.hi;
          this.tlb.record(hi, lo);
          return;
        }
      }
    }
    this.mapChecked(va, pa, size, flags);
  }

  /** {@link map} with every argument checked: the path of everything but the common case. */
  private mapChecked(va: AddrLike, pa: AddrLike, size: PageSize, flags: MappingFlags): void {
    this.idle();
    const level = this.checkSize(size);
    this.checkFlags(flags);
    this.splitVa(va);
    const hi = this.vhi;
    const lo = this.vlo;
    const frame = this.checkPa(pa, 'pa');
    if (offsetIn(lo, level) !== 0) {
      throw new PagingError('NotAligned', `VA ${hex(va)} is not aligned to ${hex(size)}`, {
        va: fromHalves(hi, lo) as VirtAddr,
        level,
      });
    }
    if (mod(frame, PAGES_PER_LEVEL[level]) !== 0) {
      throw new PagingError('NotAligned', `PA ${hex(pa)} is not aligned to ${hex(size)}`, {
        va: fromHalves(hi, lo) as VirtAddr,
        level,
      });
    }
    this.journal.reset();
    try {
      if (!this.putLeaf(this.reach(hi, lo, level), frame, flags, level, false)) throw this.alreadyMapped(hi, lo, level);
    } catch (e) {
      this.rollback();
      throw e;
    }
    this.journal.reset();
    this.tlb.record(hi, lo);
  }

  /** Removes the leaf mapping `va` (a VA inside a block removes the whole block); returns what was mapped. */
  unmap(va: AddrLike): QueryResult {
    if (typeof va === 'number' && this.state === IDLE) {
      const hi = this.fastHi(va);
      if (hi >= 0) {
        const lo = va >>> 0;
        const frame = this.leafAt(hi, lo);
        if (frame >= 0) return this.clearLeaf(frame, hi, lo);
      }
    }
    return this.unmapChecked(va);
  }

  /** {@link unmap} with the VA checked. */
  private unmapChecked(va: AddrLike): QueryResult {
    this.idle();
    this.splitVa(va);
    this.lookupOrThrow();
    return this.clearLeaf(this.leafFrame(this.lastLo, this.lastHi, this.lastLevel), this.vhi, this.vlo);
  }

  /** Points the leaf mapping `va` at `pa` with `flags`, keeping its size; `pa` must be aligned to it. Returns the size. */
  remap(va: AddrLike, pa: AddrLike, flags: MappingFlags): PageSize {
    this.idle();
    this.checkFlags(flags);
    this.splitVa(va);
    const frame = this.checkPa(pa, 'pa');
    const w = this.lookupOrThrow();
    const level = this.lastLevel;
    if (mod(frame, PAGES_PER_LEVEL[level]) !== 0) {
      throw new PagingError('NotAligned', `PA ${hex(pa)} is not aligned to the ${hex(levelPageSize(level))} mapping`, {
        va: fromHalves(this.vhi, this.vlo) as VirtAddr,
        level,
      });
    }
    this.rewrite(w, frame, flags, level);
    this.tlb.record(this.vhi, this.vlo);
    return levelPageSize(level);
  }

  /**
   * Changes the flags of the leaf mapping `va` (the whole block for a VA
   * inside one). Returns its size. The bits the MMU sets in a leaf (x86
   * Accessed/Dirty) are kept, as an OS's mprotect keeps them.
   */
  protect(va: AddrLike, flags: MappingFlags): PageSize {
    if (typeof va === 'number' && flags === this.okFlags && this.state === IDLE) {
      const hi = this.fastHi(va);
      if (hi >= 0) {
        const lo = va >>> 0;
        if (this.leafAt(hi, lo) >= 0) {
          const level = this.lastLevel;
          this.rewrite(this.lastWord, -1, flags, level);
          this.tlb.record(hi, lo);
          return levelPageSize(level);
        }
      }
    }
    return this.protectChecked(va, flags);
  }

  /** {@link protect} with every argument checked. */
  private protectChecked(va: AddrLike, flags: MappingFlags): PageSize {
    this.idle();
    this.checkFlags(flags);
    this.splitVa(va);
    const w = this.lookupOrThrow();
    const level = this.lastLevel;
    this.rewrite(w, -1, flags, level);
    this.tlb.record(this.vhi, this.vlo);
    return levelPageSize(level);
  }

  // ----------------------------------------------------------------- regions

  /**
   * Maps `size` bytes at `va`. `pa` is either the first PA of a linear range
   * or a function giving the PA of each step's VA (it may query this table,
   * not modify it: that is `Busy`). With `allowHuge`, each step uses a 1 GiB
   * or 2 MiB block when VA, PA and the remaining size allow. All or nothing:
   * on any error the tables are exactly as before.
   */
  mapRegion(
    va: AddrLike,
    pa: AddrLike | ((va: VirtAddr) => AddrLike),
    size: AddrLike,
    flags: MappingFlags,
    allowHuge = false,
  ): void {
    this.idle();
    this.checkFlags(flags);
    const region = this.checkRegion(va, size);
    if (region === undefined) return;
    const start = region[0];
    const fn = typeof pa === 'function' ? pa : undefined;
    let paFrame = 0;
    if (fn === undefined) {
      paFrame = this.checkPa(pa as AddrLike, 'pa');
      if (!whole(paFrame)) throw new PagingError('NotAligned', `PA ${hex(pa as AddrLike)} is not 4 KiB aligned`);
      if (paFrame + region[1] > this.paFrameLimit) {
        throw new PagingError('InvalidAddress', `PA range ends past ${this.meta.paBits} bits`);
      }
    }
    this.journal.reset();
    this.state = BUSY;
    // Pages before `vpn` are mapped: on failure exactly those leaves are cleared (they were all empty
    // before, or journaled), then the journal puts back the table links and frees the new tables.
    let vpn = start;
    try {
      let pages = region[1];
      while (pages > 0) {
        const frame = fn === undefined ? paFrame : this.stepFrame(fn, vpn);
        // Computed for 4 KiB regions too (once per table): code optimised on those then has the type
        // feedback of every compare here and takes a huge region without deoptimising.
        const fit = blockLevel(vpn, frame, pages);
        const level = allowHuge ? fit : 0;
        const hi = Math.floor(vpn / 1048576) >>> 0;
        const lo = (mod(vpn, 1048576) * 4096) >>> 0;
        let w = this.reach(hi, lo, level);
        if (!this.putLeaf(w, frame, flags, level, true)) throw this.alreadyMapped(hi, lo, level);
        const step = PAGES_PER_LEVEL[level];
        vpn += step;
        pages -= step;
        paFrame += step;
        if (level !== 0) continue;
        // The rest of this last-level table: consecutive entries, no walk.
        const table = unboxed(this.stopTable);
        const n = Math.min(511 - ((lo >>> 12) & 511), pages);
        if (fn === undefined) {
          // Linear: no user code runs. A method of its own, so that V8 optimises it on its own whatever
          // tier this long method is in (inline here, a run measured 1.4 or 11 ms from process to process).
          const done = this.fillRun(w + 2, n, paFrame, flags);
          vpn += done;
          paFrame += done;
          if (done < n) throw this.alreadyMapped(Math.floor(vpn / 1048576) >>> 0, (mod(vpn, 1048576) * 4096) >>> 0, 0);
        } else {
          for (let i = 0; i < n; i++) {
            const f = this.stepFrame(fn, vpn);
            // The callback may have queried this table: find the slot again.
            w = this.handler.frameWord(table) + mod(vpn, 512) * 2;
            if (!this.putLeaf(w, f, flags, 0, true))
              throw this.alreadyMapped(Math.floor(vpn / 1048576) >>> 0, (mod(vpn, 1048576) * 4096) >>> 0, 0);
            vpn++;
          }
        }
        pages -= n;
      }
    } catch (e) {
      this.state = IDLE;
      this.forEachLeaf(start, vpn - start, true, -1);
      this.rollback();
      throw e;
    }
    this.state = IDLE;
    this.journal.reset();
    this.recordRegion(start, region[1]);
  }

  /**
   * Removes every leaf in `[va, va + size)`, stepping over holes. A block that
   * crosses either end of the region is a `MappedToHugePage` error, and then
   * nothing is removed.
   */
  unmapRegion(va: AddrLike, size: AddrLike): void {
    this.idle();
    const region = this.checkRegion(va, size);
    if (region === undefined) return;
    this.forEachLeaf(region[0], region[1], false, 0);
    this.forEachLeaf(region[0], region[1], true, -1);
    this.recordRegion(region[0], region[1]);
  }

  /**
   * Sets `flags` on every leaf in `[va, va + size)`, stepping over holes
   * (keeping the bits the MMU set, as {@link protect}). A block that crosses
   * either end of the region is a `MappedToHugePage` error, and then nothing
   * is changed.
   */
  protectRegion(va: AddrLike, size: AddrLike, flags: MappingFlags): void {
    this.idle();
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
   * are freed; shared ones are never freed by this table. On a table adopted
   * with `owned: false` the subtrees there belong to the tree's owner, so
   * replacing one is an `AlreadyMapped` error (nothing is freed or leaked).
   * All or nothing: every frame to free is checked before anything changes.
   */
  copyFrom(other: PageTable64, start: AddrLike, size: AddrLike): void {
    this.idle();
    if (other.state !== IDLE) throw other.stateError();
    if (other === this) throw new PagingError('InvalidArgument', 'copyFrom needs another table, not this one');
    if (other.meta !== this.meta || other.handler !== this.handler) {
      throw new PagingError('InvalidArgument', 'copyFrom needs a table of the same paging mode in the same memory');
    }
    const region = this.checkRegion(start, size);
    if (region === undefined) return;
    const shift = PAGES_PER_LEVEL[this.top];
    const first = Math.floor(region[0] / shift) % (this.topMask + 1);
    const last = Math.floor((region[0] + region[1] - 1) / shift) % (this.topMask + 1);
    const h = this.handler;
    const pte = this.pte;
    // Check: collect every frame of the subtrees to be replaced.
    const seen = new Set<number>([this.root, other.root]);
    const frames: number[] = [];
    for (let i = first; i <= last; i++) {
      const base = h.frameWord(this.root);
      const lo = h.words[base + 2 * i];
      const hi = h.words[base + 2 * i + 1];
      if (this.borrowed[i] !== 0 || !pte.table(lo, hi)) continue;
      if (!this.owned) {
        throw new PagingError(
          'AlreadyMapped',
          `root entry ${i} holds a table of the tree's owner (adopted with owned: false): copyFrom would drop it`,
          {
            level: this.top,
          },
        );
      }
      this.collectTree(pte.frame(lo, hi), this.top - 1, seen, frames);
    }
    // Commit: copy the entries, then free what they replaced.
    for (let i = first; i <= last; i++) {
      const dst = h.frameWord(this.root);
      const src = h.frameWord(other.root);
      const w = h.words;
      w[dst + 2 * i] = w[src + 2 * i];
      w[dst + 2 * i + 1] = w[src + 2 * i + 1];
      this.borrowed[i] = pte.table(w[dst + 2 * i], w[dst + 2 * i + 1]) ? 1 : 0;
    }
    for (const f of frames) h.deallocFrames(frameToPa(f, 0), 1);
    this.tlb.recordFull();
  }

  /** Issues the recorded TLB maintenance through the flush hook, then forgets it. The hook may query this table, not modify it (`Busy`). */
  flush(): void {
    this.idle();
    this.state = BUSY;
    try {
      this.tlb.flush();
    } finally {
      this.state = IDLE;
    }
  }

  /** The TLB maintenance recorded since the last {@link flush}: `'full'` or the VAs (at most 32). */
  get pendingFlush(): 'full' | VirtAddr[] {
    this.live();
    return this.tlb.pending();
  }

  /**
   * Frees every table frame of this table's tree (for `create()`d tables and
   * trees adopted with `owned: true`; nothing otherwise), never subtrees
   * shared in with {@link copyFrom}. Every frame is checked first (inside
   * physical memory, and handed out by the allocator when the handler can
   * tell): if one is not, this throws `InvalidAddress`, frees nothing and the
   * table stays usable. Afterwards every method throws `Destroyed`; calling
   * `destroy()` again does nothing, so `using` and an explicit call combine.
   */
  destroy(): void {
    if (this.state === DESTROYED) return;
    this.idle();
    if (this.owned) {
      const h = this.handler;
      const seen = new Set<number>([this.root]);
      const frames: number[] = [];
      for (let i = 0; i <= this.topMask; i++) {
        const base = h.frameWord(this.root);
        const lo = h.words[base + 2 * i];
        const hi = h.words[base + 2 * i + 1];
        if (this.borrowed[i] === 0 && this.pte.table(lo, hi))
          this.collectTree(this.pte.frame(lo, hi), this.top - 1, seen, frames);
      }
      this.checkOwn(this.root, this.top);
      frames.push(this.root);
      for (const f of frames) h.deallocFrames(frameToPa(f, 0), 1);
    }
    this.state = DESTROYED;
  }

  /** Same as {@link destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // ---------------------------------------------------------------- internals

  /**
   * The high half of a number VA on the fast path: a non-negative integer
   * below 2^53 (hence exact) whose halves are canonical; -1 for anything
   * else, which the slow path then checks and explains. `va >>> 0` is the low
   * half of any integer; a fraction, a negative, NaN or a value past 2^53
   * leaves a high half that is not a 21-bit integer.
   */
  private fastHi(va: number): number {
    const hi = (va - (va >>> 0)) / TWO32;
    return hi === (hi & 0x1fffff) && this.canonical(hi) ? hi : -1;
  }

  /**
   * The fast path of a bigint VA: whether it is an address (0..2^64-1) with
   * canonical halves on a live table, then split (`splitHi`/`splitLo`).
   * Two compares and a typed-array store: no BigInt arithmetic.
   */
  private bigFast(va: bigint): boolean {
    if (!(va >= 0n && va <= ADDR_MAX && this.state !== DESTROYED)) return false;
    split64(va);
    return this.canonical(splitHi());
  }

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
      throw new PagingError('InvalidAddress', `VA must be a number or bigint, got ${show(va)}`);
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
    const va = fromHalves(hi, lo) as VirtAddr;
    return new PagingError('InvalidAddress', `VA ${hex(va)} is not canonical for ${this.meta.name}`, { va });
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
      if (!(pa >= 0n && pa <= ADDR_MAX))
        throw new PagingError('InvalidAddress', `${what} ${hex(pa)} is outside 0..2^64-1`);
      split64(pa);
      const lo = splitLo();
      frame = splitHi() * 1048576 + (lo >>> 12) + ((lo & 0xfff) !== 0 ? 0.5 : 0);
    } else {
      throw new PagingError('InvalidAddress', `${what} must be a number or bigint, got ${show(pa)}`);
    }
    if (frame >= this.paFrameLimit) {
      throw new PagingError(
        'InvalidAddress',
        `${what} ${hex(pa)} is beyond the ${this.meta.paBits}-bit physical address space`,
      );
    }
    return frame;
  }

  /** Checks a flag set (a number of defined bits with some access the arch can encode) and remembers it as the last good one. */
  private checkFlags(flags: MappingFlags): void {
    if (flags === this.okFlags) return;
    if (typeof flags !== 'number')
      throw new PagingError('InvalidArgument', `flags must be a number, got ${show(flags)}`);
    if (!(flags >= 0 && flags <= MAPPING_FLAGS_ALL && Math.floor(flags) === flags)) {
      throw new PagingError('UnsupportedFlags', `flags ${flags} hold bits no MappingFlags defines`);
    }
    if ((flags & 7) === 0) throw new PagingError('UnsupportedFlags', 'a mapping needs READ, WRITE or EXECUTE');
    const why = this.pte.checkFlags(flags);
    if (why !== undefined) throw new PagingError('UnsupportedFlags', `${this.meta.name}: ${why}`);
    this.okFlags = flags;
  }

  private checkSize(size: PageSize): number {
    if (!isPageSize(size)) throw new PagingError('NotAligned', `size ${show(size)} is not a page size`);
    const level = pageSizeLevel(size);
    if (level > this.top) throw new PagingError('NotAligned', `${this.meta.name} has no ${hex(size)} pages`);
    return level;
  }

  /** Checks a region; returns [first VPN, page count], or undefined for an empty one. */
  private checkRegion(va: AddrLike, size: AddrLike): [number, number] | undefined {
    this.splitVa(va);
    const hi = this.vhi;
    const lo = this.vlo;
    const where = { va: fromHalves(hi, lo) as VirtAddr };
    if ((lo & 0xfff) !== 0) throw new PagingError('NotAligned', `region start ${hex(va)} is not 4 KiB aligned`, where);
    let pages: number;
    if (typeof size === 'number') {
      if (!(size >= 0 && Number.isSafeInteger(size))) {
        throw new PagingError('NotAligned', `region size ${size} is not a safe non-negative integer`, where);
      }
      if (size % 4096 !== 0)
        throw new PagingError('NotAligned', `region size ${hex(size)} is not a multiple of 4 KiB`, where);
      pages = size / 4096;
    } else if (typeof size === 'bigint') {
      if (size < 0n || (size & 0xfffn) !== 0n) {
        throw new PagingError('NotAligned', `region size ${hex(size)} is not a non-negative multiple of 4 KiB`, where);
      }
      pages = Number(size >> 12n);
    } else {
      throw new PagingError('InvalidArgument', `region size must be a number or bigint, got ${show(size)}`, where);
    }
    if (pages === 0) return undefined;
    const vpn = hi * 1048576 + (lo >>> 12);
    const lastVpn = vpn + pages - 1;
    if (lastVpn >= 2 ** 52) throw new PagingError('InvalidAddress', `region at ${hex(va)} runs past 2^64`, where);
    const lastHi = Math.floor(lastVpn / 1048576) >>> 0;
    if (!this.canonical(lastHi) || ((lastHi & this.vaMask) === 0) !== ((hi & this.vaMask) === 0)) {
      throw new PagingError(
        'InvalidAddress',
        `region at ${hex(va)} of ${hex(size)} bytes leaves the canonical range`,
        where,
      );
    }
    return [vpn, pages];
  }

  /** Throws `Destroyed` on a destroyed table (for queries: a busy table answers them). */
  private live(): void {
    if (this.state === DESTROYED) throw this.stateError();
  }

  /** Throws `Busy` or `Destroyed` unless the table may be modified now. */
  private idle(): void {
    if (this.state !== IDLE) throw this.stateError();
  }

  private stateError(): PagingError {
    return this.state === DESTROYED
      ? new PagingError('Destroyed', `the ${this.meta.name} page table was destroyed`)
      : new PagingError(
          'Busy',
          `a modifying call on this ${this.meta.name} page table is already running (called back from a mapRegion callback or TLB-flush hook)`,
        );
  }

  /** Word index of entry `index` of the table at `frame`. */
  private slot(frame: number, index: number): number {
    const base = this.handler.frameWord(frame);
    if (base < 0) throw this.outside(frame);
    return base + (index << 1);
  }

  /**
   * Walks from the root towards `target` through table links. Returns the word
   * index of the entry where it stopped: at `target`, or above it at the first
   * entry that is not a table link. Sets {@link stopLevel} and {@link stopTable}.
   * A small loop on purpose: V8 inlines it into every caller, where a walk
   * unrolled by level was too big to inline and measured slower.
   */
  private descend(hi: number, lo: number, target: number): number {
    const h = this.handler;
    const pte = this.pte;
    const words = h.words;
    const a = vaLow27(hi, lo);
    const b = hi >>> 7;
    let table = this.root;
    let level = this.top;
    let mask = this.topMask;
    for (;;) {
      const base = h.frameWord(table);
      if (base < 0) throw this.outside(table);
      const w = base + (((level < 3 ? a >>> (9 * level) : b >>> (9 * level - 27)) & mask) << 1);
      if (level === target || !pte.table(words[w], words[w + 1])) return this.stop(level, table, w);
      table = pte.frame(words[w], words[w + 1]);
      level--;
      mask = 511;
    }
  }

  private stop(level: number, table: number, w: number): number {
    this.stopLevel = level;
    this.stopTable = table;
    return w;
  }

  /** Word index of the leaf covering (hi, lo) ({@link leafAt}, level in {@link lastLevel}), or -1 for a hole. */
  private lookup(hi: number, lo: number): number {
    return this.leafAt(hi, lo) < 0 ? -1 : this.lastWord;
  }

  /** {@link lookup} of the split VA, throwing `NotMapped` for a hole. */
  private lookupOrThrow(): number {
    const w = this.lookup(this.vhi, this.vlo);
    if (w < 0) {
      const va = fromHalves(this.vhi, this.vlo) as VirtAddr;
      throw new PagingError('NotMapped', `nothing is mapped at VA ${hex(va)}`, { va, level: this.stopLevel });
    }
    return w;
  }

  /**
   * The frame of the leaf mapping (hi, lo), aligned to the leaf's size, or -1
   * for a hole (its level in {@link stopLevel}, and for a hole in a last-level
   * table its word index in {@link stopWord}); keeps the leaf's halves, level
   * and word index for {@link lastFlags}, {@link lastSize} and the caller.
   * The walk of {@link descend} once more, on purpose: unrolled by level (each
   * index a constant shift) with the entry's halves in registers, it serves
   * the queries and the fast paths of map, protect and unmap.
   */
  private leafAt(hi: number, lo: number): number {
    const h = this.handler;
    const pte = this.pte;
    const words = h.words;
    const a = vaLow27(hi, lo);
    const top = this.top;
    let table = this.root;
    let mask = this.topMask;
    let base = 0;
    let w = 0;
    let elo = 0;
    let ehi = 0;
    // Unrolled from the root down, one block per level the table has: a level's index is a constant
    // shift here, where the loop computed it from a variable level (the loop measured slower).
    if (top > 3) {
      base = h.frameWord(table);
      if (base < 0) throw this.outside(table);
      w = base + (((hi >>> 16) & mask) << 1);
      elo = words[w];
      ehi = words[w + 1];
      if (!pte.table(elo, ehi)) return this.leafAbove(4, elo, ehi, w);
      table = pte.frame(elo, ehi);
      mask = 511;
    }
    if (top > 2) {
      base = h.frameWord(table);
      if (base < 0) throw this.outside(table);
      w = base + (((hi >>> 7) & mask) << 1);
      elo = words[w];
      ehi = words[w + 1];
      if (!pte.table(elo, ehi)) return this.leafAbove(3, elo, ehi, w);
      table = pte.frame(elo, ehi);
      mask = 511;
    }
    base = h.frameWord(table);
    if (base < 0) throw this.outside(table);
    w = base + (((a >>> 18) & mask) << 1);
    elo = words[w];
    ehi = words[w + 1];
    if (!pte.table(elo, ehi)) return this.leafAbove(2, elo, ehi, w);
    table = pte.frame(elo, ehi);
    base = h.frameWord(table);
    if (base < 0) throw this.outside(table);
    w = base + (((a >>> 9) & 511) << 1);
    elo = words[w];
    ehi = words[w + 1];
    if (!pte.table(elo, ehi)) return this.leafAbove(1, elo, ehi, w);
    table = pte.frame(elo, ehi);
    base = h.frameWord(table);
    if (base < 0) throw this.outside(table);
    w = base + ((a & 511) << 1);
    elo = words[w];
    ehi = words[w + 1];
    if (!pte.page(elo, ehi)) {
      this.stopLevel = 0;
      this.stopWord = w;
      return -1;
    }
    this.lastLo = elo;
    this.lastHi = ehi;
    this.lastLevel = 0;
    this.lastWord = w;
    return pte.frame(elo, ehi);
  }

  /** {@link leafAt}'s end at an entry above the last level that is no table link: a block (levels 1, 2) or a hole. */
  private leafAbove(level: number, elo: number, ehi: number, w: number): number {
    if (level > 2 || !this.pte.present(elo, ehi)) {
      this.stopLevel = level;
      return -1;
    }
    this.lastLo = elo;
    this.lastHi = ehi;
    this.lastLevel = level;
    this.lastWord = w;
    return this.leafFrame(elo, ehi, level);
  }

  /** The PA at (hi, lo) as a number, or -1 ({@link leafAt}); `InvalidAddress` for a PA at or above 2^53. */
  private paAt(hi: number, lo: number): number {
    const frame = this.leafAt(hi, lo);
    if (frame < 0) return -1;
    const level = this.lastLevel;
    if (frame >= SAFE_FRAME_LIMIT) throw this.unsafePa(hi, lo, level);
    return frame * 4096 + offsetIn(lo, level);
  }

  private unsafePa(hi: number, lo: number, level: number): PagingError {
    return new PagingError('InvalidAddress', 'PA above 2^53: use query()', {
      va: fromHalves(hi, lo) as VirtAddr,
      level,
    });
  }

  private outside(frame: number): PagingError {
    return new PagingError('InvalidAddress', `table at PA ${hex(frame * 4096)} is outside physical memory`);
  }

  private alreadyMapped(hi: number, lo: number, level: number): PagingError {
    const va = fromHalves(hi, lo) as VirtAddr;
    return new PagingError('AlreadyMapped', `VA ${hex(va)} is already mapped`, { va, level });
  }

  /** Leaf address as a frame number, aligned down to the leaf's size (bits below it are attributes, e.g. x86 PAT). */
  private leafFrame(lo: number, hi: number, level: number): number {
    const frame = this.pte.frame(lo, hi);
    return level === 0 ? frame : frame - mod(frame, PAGES_PER_LEVEL[level]);
  }

  /**
   * Writes a leaf at entry `w` (at `level`) unless something is mapped or a
   * table is linked there; returns whether it did. A free entry that is not
   * all zero (an invalid encoding, an OS's swap entry) goes to the journal
   * when `journal`: every other leaf a failed region wrote was zero before.
   */
  private putLeaf(w: number, frame: number, flags: MappingFlags, level: number, journal: boolean): boolean {
    const words = this.handler.words;
    const pte = this.pte;
    const elo = words[w];
    const ehi = words[w + 1];
    // An all-zero entry is unused on every arch: the common case needs no decode.
    if ((elo | ehi) !== 0) {
      if (level === 0 ? pte.page(elo, ehi) : pte.present(elo, ehi) || pte.table(elo, ehi)) return false;
      if (journal) this.journal.record(w, elo, ehi, -1);
    }
    pte.encodePage(frame, flags, level > 0);
    words[w] = pte.lo;
    words[w + 1] = pte.hi;
    return true;
  }

  /**
   * Re-encodes the leaf at `w` with `frame` (-1: the one it holds) and `flags`,
   * keeping the bits the MMU set in it ({@link GenericPTE.keepLo}).
   */
  private rewrite(w: number, frame: number, flags: MappingFlags, level: number): void {
    const words = this.handler.words;
    const pte = this.pte;
    const elo = words[w];
    const ehi = words[w + 1];
    pte.encodePage(frame < 0 ? pte.frame(elo, ehi) : frame, flags, level > 0);
    words[w] = (pte.lo | (elo & pte.keepLo)) >>> 0;
    words[w + 1] = (pte.hi | (ehi & pte.keepHi)) >>> 0;
  }

  /** Clears the leaf that {@link leafAt} found at (hi, lo), whose aligned frame is `frame`, and returns what it mapped. */
  private clearLeaf(frame: number, hi: number, lo: number): QueryResult {
    const words = this.handler.words;
    const w = this.lastWord;
    const level = this.lastLevel;
    const result: QueryResult = {
      paddr: frameToPa(frame, 0),
      flags: this.pte.decodeFlags(this.lastLo, this.lastHi),
      size: levelPageSize(level),
    };
    words[w] = 0;
    words[w + 1] = 0;
    this.tlb.record(hi, lo);
    return result;
  }

  /**
   * Writes 4 KiB leaves of `flags` for frames `frame`, `frame + 1`, ... into
   * the `n` consecutive entries from word `w` of one last-level table, each
   * entry free (a free entry that is not zero is journaled, see
   * {@link putLeaf}). Returns how many it wrote: `n`, or fewer where an entry
   * was in use. Each codec's address field is one bit field, so while its
   * low-half part does not carry, the entries of consecutive frames differ
   * by one constant: the run's first, second and last entries are encoded,
   * the others made by adding (re-encoding each when the check fails).
   */
  private fillRun(w: number, n: number, frame: number, flags: MappingFlags): number {
    const words = this.handler.words;
    const pte = this.pte;
    pte.encodePage(frame + n - 1, flags, false);
    const endLo = pte.lo;
    const endHi = pte.hi;
    pte.encodePage(frame + 1, flags, false);
    const nextLo = pte.lo;
    const ehi = pte.hi;
    pte.encodePage(frame, flags, false);
    let elo = pte.lo;
    const step = nextLo - elo;
    const linear = n > 1 && pte.hi === ehi && endHi === ehi && step > 0 && endLo === elo + (n - 1) * step;
    for (let i = 0; i < n; i++, w += 2) {
      if ((words[w] | words[w + 1]) === 0) {
        if (linear) {
          words[w] = elo;
          words[w + 1] = ehi;
        } else {
          pte.encodePage(frame + i, flags, false);
          words[w] = pte.lo;
          words[w + 1] = pte.hi;
        }
      } else if (!this.putLeaf(w, frame + i, flags, 0, true)) {
        return i;
      }
      elo = (elo + step) >>> 0;
    }
    return n;
  }

  /** The frame a mapRegion callback gives for the page at `vpn`, checked. */
  private stepFrame(fn: (va: VirtAddr) => AddrLike, vpn: number): number {
    const va = this.vpnToVa(vpn);
    const target = fn(va);
    const frame = this.checkPa(target, 'pa');
    if (!whole(frame))
      throw new PagingError('NotAligned', `PA ${hex(target)} for VA ${hex(va)} is not 4 KiB aligned`, { va });
    return frame;
  }

  private rollback(): void {
    this.journal.rollback(this.handler, (frame) => frameToPa(frame, 0));
  }

  /**
   * Word index of the entry at level `target` for (hi, lo), creating the
   * missing tables on the way (each new link journaled). A block in the way
   * is `MappedToHugePage`.
   */
  private reach(hi: number, lo: number, target: number): number {
    let w = this.descend(hi, lo, target);
    let level = this.stopLevel;
    if (level === target) return w;
    const h = this.handler;
    const pte = this.pte;
    let table = unboxed(this.stopTable);
    for (;;) {
      let words = h.words;
      const elo = words[w];
      const ehi = words[w + 1];
      if (pte.present(elo, ehi)) {
        const va = fromHalves(hi, lo) as VirtAddr;
        throw new PagingError('MappedToHugePage', `VA ${hex(va)} lies in a ${hex(levelPageSize(level))} block`, {
          va,
          level,
        });
      }
      const pa = h.allocFrames(1, 4096);
      if (pa === undefined)
        throw new PagingError('NoMemory', 'no frame for a page table', {
          va: fromHalves(hi, lo) as VirtAddr,
          level: level - 1,
        });
      const next = frameFromPa(pa);
      const nb = h.frameWord(next);
      if (nb < 0) {
        h.deallocFrames(pa, 1);
        throw this.outside(next);
      }
      words = h.words;
      const at = this.slot(table, entryIndex(hi, lo, level) & (level === this.top ? this.topMask : 511));
      this.journal.record(at, elo, ehi, next);
      this.journal.clearFrame(words, h.frameWord(next));
      pte.encodeTable(next);
      words[at] = pte.lo;
      words[at + 1] = pte.hi;
      table = next;
      level--;
      w = this.slot(next, entryIndex(hi, lo, level));
      if (level === target) {
        this.stopLevel = level;
        this.stopTable = next;
        return w;
      }
    }
  }

  /**
   * Visits the leaves of `pages` pages from `vpn`. Check pass (`commit`
   * false): throws if a block crosses an end. Commit pass: `flags` -1 clears
   * each leaf, otherwise re-encodes it with `flags`, keeping the MMU's bits.
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
        level = w < 0 ? this.stopLevel : this.lastLevel;
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
          const va = this.vpnToVa(first);
          throw new PagingError(
            'MappedToHugePage',
            `the ${hex(levelPageSize(level))} block at VA ${hex(va)} crosses the region's edge`,
            {
              va,
              level,
            },
          );
        }
      } else if (flags < 0) {
        const words = this.handler.words;
        words[w] = 0;
        words[w + 1] = 0;
      } else {
        this.rewrite(w, -1, flags, level);
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

  /**
   * Adds the frames of the subtree at `table` (a table at `level`) to `out`,
   * each once, after checking that it can be freed ({@link checkOwn}).
   */
  private collectTree(table: number, level: number, seen: Set<number>, out: number[]): void {
    if (seen.has(table)) return;
    seen.add(table);
    this.checkOwn(table, level);
    if (level > 0) {
      const h = this.handler;
      for (let i = 0; i < 512; i++) {
        const base = h.frameWord(table);
        const lo = h.words[base + 2 * i];
        const hi = h.words[base + 2 * i + 1];
        if (this.pte.table(lo, hi)) this.collectTree(this.pte.frame(lo, hi), level - 1, seen, out);
      }
    }
    out.push(table);
  }

  /** Throws `InvalidAddress` unless the table frame at `table` is in physical memory and, if the handler can tell, allocated. */
  private checkOwn(table: number, level: number): void {
    const h = this.handler;
    if (h.frameWord(table) < 0) {
      throw new PagingError(
        'InvalidAddress',
        `table at PA ${hex(table * 4096)} is outside physical memory: nothing was freed`,
        { level },
      );
    }
    if (h.isAllocated !== undefined && !h.isAllocated(frameToPa(table, 0))) {
      throw new PagingError(
        'InvalidAddress',
        `table at PA ${hex(table * 4096)} was not handed out by the frame allocator: nothing was freed`,
        {
          level,
        },
      );
    }
  }
}

/** Level of the largest leaf (2: 1 GiB, 1: 2 MiB, 0: 4 KiB) that page `vpn` can map to `frame` with `pages` pages left. */
function blockLevel(vpn: number, frame: number, pages: number): number {
  if (pages >= 262144 && mod(vpn, 262144) === 0 && mod(frame, 262144) === 0) return 2;
  return pages >= 512 && mod(vpn, 512) === 0 && mod(frame, 512) === 0 ? 1 : 0;
}

/** In-page offset of the VA's low half for a leaf at `level`. */
function offsetIn(lo: number, level: number): number {
  return lo & OFFSET_MASK[level];
}

function frameFromPa(pa: PhysAddr): number {
  return typeof pa === 'number' ? pa / 4096 : Number((pa as bigint) >> 12n);
}
