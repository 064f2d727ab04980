import { pa } from '@page-table/memory-addr';
import { walkAll } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_ENTRIES,
  MappingFlags as F,
  isPagingError,
  PageSize,
  PageTable64,
  type PagingHandler,
  type PagingMetaData,
  RamHandler,
  WalkBudgetError,
} from '../src/index.js';
import { TOY4, ToyPTE } from './toy-arch.js';

const RW = F.READ | F.WRITE;
const RWU = RW | F.USER;

function setup(meta: PagingMetaData = TOY4) {
  const ram = new RamHandler({ base: 0, size: 16 << 20 });
  const pt = new PageTable64(meta, ram, PageTable64.allocRoot(ram), true);
  return { ram, pt, root: Number(pt.rootPaddr) };
}

/** The table link of the toy codec (P|W|U) to the table at `pa`. */
const link = (pa: number) => BigInt(pa) | 7n;

/** PA of the next-level table the entry at `entryPa` links to. */
function target(ram: RamHandler, entryPa: number): number {
  return Number(ram.read64(entryPa) & 0xf_ffff_ffff_f000n);
}

function budgetError(fn: () => unknown): WalkBudgetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WalkBudgetError) return e;
    throw e;
  }
  throw new Error('expected a WalkBudgetError');
}

describe('walks that reach a table by several paths, as the CPU does', () => {
  it('lists a PDPT linked from PML4[0] and PML4[511] under both VAs, and reports the alias', () => {
    const { ram, pt, root } = setup();
    pt.map(0x1000, 0x8000, PageSize.Size4K, RW);
    const pdpt = target(ram, root);
    ram.write64(root + 511 * 8, ram.read64(root));
    const high = 0xffff_ff80_0000_1000n;
    expect([...pt.mappings()]).toEqual([
      { va: 0x1000, pa: 0x8000, size: 0x1000, pageSize: PageSize.Size4K, flags: RW },
      { va: high, pa: 0x8000, size: 0x1000, pageSize: PageSize.Size4K, flags: RW },
    ]);
    expect(pt.query(high)?.paddr).toBe(0x8000);
    const leaves = walkAll(pt).filter((e) => e.leaf);
    expect(leaves.map((e) => [BigInt(e.va), e.entryPa])).toEqual([
      [0x1000n, leaves[0].entryPa],
      [high, leaves[0].entryPa],
    ]);
    expect(pt.aliases()).toEqual([
      {
        paddr: pdpt,
        reaches: [
          { va: 0, level: 2, size: 2 ** 39, entryPa: root },
          { va: 0xffff_ff80_0000_0000n, level: 2, size: 2 ** 39, entryPa: root + 511 * 8 },
        ],
      },
    ]);
  });

  it('follows a recursive (self-referencing) root entry level by level, as x86 self-maps do', () => {
    const { ram, pt, root } = setup();
    pt.map(0x1000, 0x8000, PageSize.Size4K, RW);
    const pdpt = target(ram, root);
    const pd = target(ram, pdpt);
    const ptab = target(ram, pd);
    ram.write64(root + 510 * 8, link(root));
    // PML4[510] → the root read as a PDPT, a PD, a PT: each table appears as a page in the window.
    expect([...pt.mappings()].map((m) => [m.va, m.pa, m.flags])).toEqual([
      [0x1000, 0x8000, RW],
      [0xffff_ff00_0000_0000n, ptab, RWU],
      [0xffff_ff7f_8000_0000n, pd, RWU],
      [0xffff_ff7f_bfc0_0000n, pdpt, RWU],
      [0xffff_ff7f_bfdf_e000n, root, RWU],
    ]);
    expect(pt.queryPa(0xffff_ff7f_bfdf_e000n)).toBe(root);
    const [alias] = pt.aliases();
    expect(alias.paddr).toBe(root);
    expect(alias.reaches.map((r) => [r.level, r.entryPa])).toEqual([
      [3, undefined],
      [2, root + 510 * 8],
      [1, root + 510 * 8],
      [0, root + 510 * 8],
    ]);
  });

  it('lists espfix-style sharing (one PD under many PDPT entries, one PT under many PD entries) under every VA', () => {
    const { ram, pt, root } = setup();
    pt.map(0x5000, 0x9000, PageSize.Size4K, RW);
    const pdpt = target(ram, root);
    const pd = target(ram, pdpt);
    for (let i = 1; i < 4; i++) ram.write64(pd + i * 8, ram.read64(pd));
    ram.write64(pdpt + 8, ram.read64(pdpt));
    const vas = [...pt.mappings()].map((m) => m.va);
    const want: number[] = [];
    for (const g of [0, 1]) for (const m of [0, 1, 2, 3]) want.push(g * 2 ** 30 + m * 2 ** 21 + 0x5000);
    expect(vas).toEqual(want);
    for (const va of want) expect(pt.queryPa(va)).toBe(0x9000);
    const aliases = pt.aliases();
    expect(aliases.map((a) => [a.paddr, a.reaches.length])).toEqual([
      [pd, 2],
      [target(ram, pd), 8],
    ]);
  });

  it('reports a link outside backed memory on every path and never throws', () => {
    const { ram, pt, root } = setup();
    pt.map(0x1000, 0x8000, PageSize.Size4K, RW);
    ram.write64(root + 8, link(0x7_0000_0000));
    const e = walkAll(pt);
    expect(e.filter((x) => x.outside).map((x) => [x.va, x.paddr, x.entryPa])).toEqual([
      [2 ** 39, 0x7_0000_0000, root + 8],
    ]);
    expect([...pt.mappings()].map((m) => m.va)).toEqual([0x1000]);
    expect(pt.aliases()).toEqual([]);
  });

  it('gives the same answers through a one-slot caching backend (word indexes are not kept across reads)', () => {
    const { ram, pt, root } = setup();
    pt.mapRegion(0x1ff000, 0x40_0000, 0x3000, RW);
    pt.map(0xffff_8000_0020_0000n, 0x60_0000, PageSize.Size2M, RW);
    ram.write64(root + 256 * 8 + 8, ram.read64(root));
    const slot = new Uint32Array(1024);
    const cache: PagingHandler = {
      words: slot,
      frameWord(frame) {
        const w = ram.frameWord(frame);
        if (w < 0) return -1;
        slot.set(ram.words.subarray(w, w + 1024));
        return 0;
      },
      allocFrames: () => undefined,
      deallocFrames() {
        throw new Error('read-only');
      },
    };
    const view = new PageTable64(TOY4, cache, pa(root), false);
    expect([...view.mappings()]).toEqual([...pt.mappings()]);
    expect(walkAll(view)).toEqual(walkAll(pt));
    expect(view.aliases()).toEqual(pt.aliases());
  });
});

describe('mappings() as an iterator', () => {
  it('is lazy, stops on break and return, and reports done afterwards', () => {
    const { pt } = setup();
    for (let i = 0; i < 4; i++) pt.map(0x1000 + i * 0x2000, 0x8000 + i * 0x2000, PageSize.Size4K, RW);
    const it = pt.mappings();
    expect(it[Symbol.iterator]()).toBe(it);
    expect(it.next().value?.va).toBe(0x1000);
    for (const m of it) {
      expect(m.va).toBe(0x3000);
      break;
    }
    expect(it.next()).toEqual({ value: undefined, done: true });
    const other = pt.mappings();
    expect(other.return()).toEqual({ value: undefined, done: true });
    expect(other.next().done).toBe(true);
    expect(() => pt.mappings().throw(new TypeError('boom'))).toThrow('boom');
    expect([...pt.mappings()].map((m) => m.va)).toEqual([0x1000, 0x3000, 0x5000, 0x7000]);
  });
});

describe('the work budget', () => {
  /** One table whose 512 entries all link to itself: 512^4 leaves through 4 levels. */
  function everyEntryOneTable() {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    const t = 0x1000;
    for (let i = 0; i < 512; i++) ram.write64(t + i * 8, link(t));
    return new PageTable64(TOY4, ram, pa(t), false);
  }

  it('stops a pathological tree after maxEntries, having yielded everything before, and says where', () => {
    const pt = everyEntryOneTable();
    const got: unknown[] = [];
    const err = budgetError(() => {
      for (const m of pt.mappings({ maxEntries: 1000 })) got.push(m);
    });
    // 3 links down, 512 leaves, 1 link, then 484 more leaves: the 485th leaf of the second page table is not visited.
    expect(got).toHaveLength(996);
    expect(err.entries).toBe(1000);
    expect(err.stoppedAt).toBe((512 + 484) * 4096);
    expect(isPagingError(err, 'BudgetExceeded')).toBe(true);
    expect(err.message).toMatch(/stopped after 1000 entries at VA 0x3e4000/);
    let seen = 0;
    expect(budgetError(() => pt.walk(() => seen++, { maxEntries: 1000 })).stoppedAt).toBe(0x3e4000);
    expect(seen).toBe(1000);
    expect(budgetError(() => pt.aliases({ maxEntries: 10 })).entries).toBe(10);
  });

  it('has a generous default and takes Infinity; other budgets are refused', () => {
    expect(DEFAULT_MAX_ENTRIES).toBe(2 ** 26);
    const { pt } = setup();
    pt.map(0x1000, 0x8000, PageSize.Size4K, RW);
    expect([...pt.mappings({ maxEntries: Number.POSITIVE_INFINITY })]).toHaveLength(1);
    // Exactly enough: 3 links and the leaf.
    expect([...pt.mappings({ maxEntries: 4 })]).toHaveLength(1);
    expect(budgetError(() => [...pt.mappings({ maxEntries: 3 })]).stoppedAt).toBe(0x1000);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => pt.mappings({ maxEntries: bad })).toThrow(RangeError);
  });
});

describe('effective flags through the codec hook', () => {
  /** The toy codec with x86's rule for one bit: a link without W (bit 1) removes WRITE below it. */
  class RestrictingToy extends ToyPTE {
    override tableRestrictions(lo: number): number {
      return ~lo & F.WRITE;
    }
  }
  const META: PagingMetaData = { ...TOY4, name: 'toy restricting', pte: new RestrictingToy() };

  it('yields the effective flags with the leaf’s own beside them, and merges runs on both', () => {
    const { ram, pt, root } = setup(META);
    // 0x1ff000 and 0x200000 are contiguous in VA and PA but sit in two page tables.
    pt.mapRegion(0x1fe000, 0x40_0000, 0x3000, RW);
    expect([...pt.mappings()]).toEqual([
      { va: 0x1fe000, pa: 0x40_0000, size: 0x3000, pageSize: PageSize.Size4K, flags: RW },
    ]);
    const pd = target(ram, target(ram, root));
    ram.write64(pd + 8, ram.read64(pd + 8) & ~2n);
    expect([...pt.mappings()]).toEqual([
      { va: 0x1fe000, pa: 0x40_0000, size: 0x2000, pageSize: PageSize.Size4K, flags: RW },
      { va: 0x200000, pa: 0x40_2000, size: 0x1000, pageSize: PageSize.Size4K, flags: F.READ, leafFlags: RW },
    ]);
    const leaf = walkAll(pt).find((e) => e.leaf && e.va === 0x200000);
    expect([leaf?.flags, leaf?.leafFlags]).toEqual([F.READ, RW]);
  });
});
