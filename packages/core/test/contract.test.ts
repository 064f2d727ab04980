/**
 * The walker's error contract: re-entrancy (`Busy`), use after `destroy()`
 * (`Destroyed`), where an error happened (`va`, `level`), the brand, bad
 * scalars, and the all-or-nothing rule of `copyFrom`, `destroy` and
 * `mapRegion` under failure.
 */

import { sameMemory } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import { MappingFlags as F, isPagingError, PageSize, PageTable64, PagingError, RamHandler } from '../src/index.js';
import { TOY4 } from './toy-arch.js';

const RW = F.READ | F.WRITE;

function setup(
  options: ConstructorParameters<typeof PageTable64>[4] = {},
  ram = new RamHandler({ base: 0, size: 16 << 20 }),
) {
  const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true, options);
  return { ram, pt };
}

function caught(fn: () => unknown): PagingError | undefined {
  try {
    fn();
  } catch (e) {
    if (isPagingError(e)) return e;
    throw e;
  }
  return undefined;
}

const kind = (fn: () => unknown) => caught(fn)?.kind ?? 'ok';

describe('re-entrancy: Busy', () => {
  it('refuses every modifying call from a mapRegion callback, which may still query', () => {
    const { ram, pt } = setup();
    pt.map(0x40_0000, 0x9000, PageSize.Size4K, RW);
    const inner: string[] = [];
    pt.mapRegion(
      0x10_0000,
      (va) => {
        inner.push(kind(() => pt.map(0x20_0000, 0x1000, PageSize.Size4K, RW)));
        inner.push(kind(() => pt.unmap(0x40_0000)));
        inner.push(kind(() => pt.protect(0x40_0000, F.READ)));
        inner.push(kind(() => pt.remap(0x40_0000, 0x5000, F.READ)));
        inner.push(kind(() => pt.mapRegion(0x30_0000, 0x1000, 0x1000, RW)));
        inner.push(kind(() => pt.unmapRegion(0x40_0000, 0x1000)));
        inner.push(kind(() => pt.protectRegion(0x40_0000, 0x1000, F.READ)));
        inner.push(kind(() => pt.flush()));
        inner.push(kind(() => pt.destroy()));
        expect(pt.queryPa(0x40_0123)).toBe(0x9123);
        expect(pt.query(0x40_0000)?.flags).toBe(RW);
        return 0x100_0000 + Number(va) - 0x10_0000;
      },
      0x2000,
      RW,
    );
    expect(new Set(inner)).toEqual(new Set(['Busy']));
    expect(inner.length).toBe(18);
    expect(pt.queryPa(0x10_1000)).toBe(0x100_1000);
    expect(pt.query(0x20_0000)).toBeUndefined();
    expect(pt.query(0x40_0000)).toEqual({ paddr: 0x9000, flags: RW, size: 4096 });
    // The table is idle again afterwards.
    pt.map(0x20_0000, 0x1000, PageSize.Size4K, RW);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('a Busy error let through fails the whole region, and the inner call changed nothing', () => {
    const { ram, pt } = setup();
    pt.map(0x40_0000, 0x9000, PageSize.Size4K, RW);
    const before = ram.words.slice();
    const used = ram.framesInUse;
    let calls = 0;
    const e = caught(() =>
      pt.mapRegion(
        0x80_0000,
        (va) => {
          if (++calls === 700) pt.map(0x40_1000, 0x1000, PageSize.Size4K, RW);
          return va;
        },
        0x40_0000,
        RW,
      ),
    );
    expect(e?.kind).toBe('Busy');
    expect(sameMemory(ram.words, before)).toBe(true);
    expect(ram.framesInUse).toBe(used);
    expect(pt.pendingFlush).toEqual([0x40_0000]);
  });

  it('refuses modifications from a TLB-flush hook', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20 });
    const inner: string[] = [];
    let pt: PageTable64 | undefined;
    const hook = () => {
      inner.push(kind(() => pt?.map(0x2000, 0x2000, PageSize.Size4K, RW)));
      inner.push(kind(() => pt?.flush()));
      expect(pt?.queryPa(0x1000)).toBe(0x1000);
    };
    pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true, { flushTlb: hook });
    pt.map(0x1000, 0x1000, PageSize.Size4K, RW);
    pt.flush();
    expect(inner).toEqual(['Busy', 'Busy']);
    expect(pt.query(0x2000)).toBeUndefined();
    pt.map(0x2000, 0x2000, PageSize.Size4K, RW);
  });

  it('refuses copyFrom out of the source table while the source is mid-region', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20 });
    const src = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    const dst = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    let seen = '';
    src.mapRegion(
      0x1000,
      (va) => {
        seen = kind(() => dst.copyFrom(src, 0, 0x80_0000_0000));
        return va;
      },
      0x1000,
      RW,
    );
    expect(seen).toBe('Busy');
    expect(dst.query(0x1000)).toBeUndefined();
  });
});

describe('destroyed tables: Destroyed', () => {
  it('every method throws Destroyed, and a second destroy() does nothing', () => {
    const { ram, pt } = setup();
    const other = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    pt.map(0x1000, 0x1000, PageSize.Size4K, RW);
    pt.destroy();
    const calls: Array<() => unknown> = [
      () => pt.query(0x1000),
      () => pt.query(0x1000n),
      () => pt.queryPa(0x1000),
      () => pt.queryPa(0x1000n),
      () => pt.queryPaHalves(0, 0x1000),
      () => pt.map(0x1000, 0x1000, PageSize.Size4K, RW),
      () => pt.unmap(0x1000),
      () => pt.remap(0x1000, 0x2000, RW),
      () => pt.protect(0x1000, F.READ),
      () => pt.mapRegion(0x1000, 0x1000, 0x1000, RW),
      () => pt.unmapRegion(0x1000, 0x1000),
      () => pt.protectRegion(0x1000, 0x1000, F.READ),
      () => pt.walk(() => {}),
      () => pt.mappings().next(),
      () => pt.copyFrom(other, 0, 0x1000),
      () => other.copyFrom(pt, 0, 0x1000),
      () => pt.flush(),
      () => pt.pendingFlush,
    ];
    for (const call of calls) expect(kind(call), call.toString()).toBe('Destroyed');
    expect(() => pt.destroy()).not.toThrow();
    other.destroy();
    expect(ram.framesInUse).toBe(0);
  });
});

describe('PagingError', () => {
  it('carries the VA and level, under one message prefix style', () => {
    const { pt } = setup();
    pt.map(0x20_0000, 0x20_0000, PageSize.Size2M, RW);
    const notMapped = caught(() => pt.unmap(0x1234_5000));
    expect(notMapped?.kind).toBe('NotMapped');
    expect(notMapped?.va).toBe(0x1234_5000);
    const already = caught(() => pt.map(0x20_0000, 0x40_0000, PageSize.Size2M, RW));
    expect([already?.kind, already?.va, already?.level]).toEqual(['AlreadyMapped', 0x20_0000, 1]);
    const huge = caught(() => pt.map(0x20_1000, 0x1000, PageSize.Size4K, RW));
    expect([huge?.kind, huge?.va, huge?.level]).toEqual(['MappedToHugePage', 0x20_1000, 1]);
    const canon = caught(() => pt.query(0x8000_0000_0000n));
    expect([canon?.kind, canon?.va]).toEqual(['InvalidAddress', 0x8000_0000_0000]);
    for (const e of [notMapped, already, huge, canon]) expect(e?.message).toMatch(/^[A-Za-z]+: [a-zA-Z0-9]/);
    expect(notMapped?.message.startsWith('NotMapped: ')).toBe(true);
  });

  it('is recognised by its brand, and instanceof agrees', () => {
    const e = new PagingError('NotMapped', 'x');
    expect(isPagingError(e)).toBe(true);
    expect(isPagingError(e, 'NotMapped')).toBe(true);
    expect(isPagingError(e, 'Busy')).toBe(false);
    expect(e instanceof PagingError).toBe(true);
    const fake = Object.assign(new Error('NotMapped: x'), { kind: 'NotMapped' });
    expect(isPagingError(fake)).toBe(false);
    expect(fake instanceof PagingError).toBe(false);
    expect(isPagingError(null)).toBe(false);
    expect(isPagingError('NotMapped')).toBe(false);
    // A copy of the class from another build carries the same registry-symbol brand.
    const foreign = new Error('Busy: y');
    Object.defineProperty(foreign, Symbol.for('@page-table/core.PagingError'), { value: true });
    Object.assign(foreign, { kind: 'Busy' });
    expect(isPagingError(foreign, 'Busy')).toBe(true);
  });
});

describe('bad scalars get typed errors naming the argument', () => {
  it('flags', () => {
    const { ram, pt } = setup();
    const before = ram.words.slice();
    expect(kind(() => pt.map(0x1000, 0x1000, PageSize.Size4K, 2 ** 32 + 3))).toBe('UnsupportedFlags');
    expect(kind(() => pt.map(0x1000, 0x1000, PageSize.Size4K, 2 ** 40))).toBe('UnsupportedFlags');
    expect(kind(() => pt.map(0x1000, 0x1000, PageSize.Size4K, -1))).toBe('UnsupportedFlags');
    expect(kind(() => pt.map(0x1000, 0x1000, PageSize.Size4K, 1.5))).toBe('UnsupportedFlags');
    expect(kind(() => pt.map(0x1000, 0x1000, PageSize.Size4K, Number.NaN))).toBe('UnsupportedFlags');
    const sym = caught(() => pt.map(0x1000, 0x1000, PageSize.Size4K, Symbol('rw') as never));
    expect(sym?.kind).toBe('InvalidArgument');
    expect(sym?.message).toMatch(/flags.*Symbol\(rw\)/);
    expect(kind(() => pt.map(0x1000, 0x1000, PageSize.Size4K, '3' as never))).toBe('InvalidArgument');
    expect(kind(() => pt.mapRegion(0x1000, 0x1000, 0x1000, 2 ** 32 + 3))).toBe('UnsupportedFlags');
    expect(kind(() => pt.protectRegion(0x1000, 0x1000, 2 ** 32 + 1))).toBe('UnsupportedFlags');
    pt.map(0x1000, 0x1000, PageSize.Size4K, RW);
    expect(kind(() => pt.protect(0x1000, 2 ** 32 + 1))).toBe('UnsupportedFlags');
    expect(kind(() => pt.remap(0x1000, 0x1000, Symbol() as never))).toBe('InvalidArgument');
    pt.unmap(0x1000);
    expect(before.length).toBe(ram.words.length);
  });

  it('a region size of the wrong type', () => {
    const { pt } = setup();
    for (const size of ['4096', {}, Symbol('size'), undefined]) {
      const e = caught(() => pt.mapRegion(0x1000, 0x1000, size as never, RW));
      expect(e?.kind).toBe('InvalidArgument');
      expect(e?.message).toMatch(/region size/);
      expect(kind(() => pt.unmapRegion(0x1000, size as never))).toBe('InvalidArgument');
    }
  });

  it('addresses of the wrong type', () => {
    const { pt } = setup();
    expect(caught(() => pt.map(Symbol() as never, 0, PageSize.Size4K, RW))?.message).toMatch(
      /VA must be a number or bigint, got Symbol\(\)/,
    );
    expect(kind(() => pt.map(0x1000, Symbol() as never, PageSize.Size4K, RW))).toBe('InvalidAddress');
    expect(kind(() => pt.map(0x1000, 0x1000, Symbol() as never, RW))).toBe('NotAligned');
    expect(kind(() => pt.queryPa(-0x1000))).toBe('InvalidAddress');
    expect(kind(() => pt.queryPa(2 ** 53))).toBe('InvalidAddress');
    expect(kind(() => pt.queryPa(4096.5))).toBe('InvalidAddress');
    expect(kind(() => pt.map(2 ** 53, 0, PageSize.Size4K, RW))).toBe('InvalidAddress');
  });
});

describe('all or nothing under failure', () => {
  /** A table link in `pt`'s root entry `i` to `frame` (a frame the allocator never handed out). */
  function plant(ram: RamHandler, pt: PageTable64, i: number, frame: number): void {
    const w = ram.frameWord((pt.rootPaddr as number) / 4096) + 2 * i;
    ram.words[w] = frame * 4096 + 7;
    ram.words[w + 1] = 0;
  }

  it('copyFrom checks every frame it would free before changing anything', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20, allocRange: [0x1000, 0x80_0000] });
    const dst = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    const src = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    dst.map(0x1000, 0x1000, PageSize.Size4K, RW);
    src.map(0x80_0000_0000, 0x2000, PageSize.Size4K, RW);
    src.map(0x100_0000_0000, 0x3000, PageSize.Size4K, RW);
    plant(ram, dst, 2, 0xf00); // PA 0xf0_0000: in RAM, outside the allocator's range
    const before = ram.words.slice();
    const used = ram.framesInUse;
    const e = caught(() => dst.copyFrom(src, 0, 0x180_0000_0000));
    expect(e?.kind).toBe('InvalidAddress');
    expect(e?.message).toMatch(/not handed out/);
    expect(sameMemory(ram.words, before)).toBe(true);
    expect(ram.framesInUse).toBe(used);
    plant(ram, dst, 2, 0);
    ram.words[ram.frameWord((dst.rootPaddr as number) / 4096) + 4] = 0;
    dst.copyFrom(src, 0, 0x180_0000_0000);
    expect(dst.queryPa(0x100_0000_0000)).toBe(0x3000);
    expect(dst.query(0x1000)).toBeUndefined();
    expect(ram.framesInUse).toBe(used - 3);
  });

  it('copyFrom never frees the tables of an owned: false tree', () => {
    const { ram, pt } = setup();
    pt.map(0x1000, 0x1000, PageSize.Size4K, RW);
    const src = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    src.map(0x2000, 0x2000, PageSize.Size4K, RW);
    const adopted = new PageTable64(TOY4, ram, pt.rootPaddr, false);
    const before = ram.words.slice();
    const used = ram.framesInUse;
    expect(kind(() => adopted.copyFrom(src, 0, 0x80_0000_0000))).toBe('AlreadyMapped');
    expect(sameMemory(ram.words, before)).toBe(true);
    expect(ram.framesInUse).toBe(used);
    // An empty slot of the owner's root can take a shared subtree.
    src.map(0x80_0000_0000, 0x5000, PageSize.Size4K, RW);
    adopted.copyFrom(src, 0x80_0000_0000, 0x80_0000_0000);
    expect(pt.queryPa(0x80_0000_0000)).toBe(0x5000);
  });

  it('destroy() of an owned adopted tree with a foreign frame frees nothing and throws a typed error', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20, allocRange: [0x1000, 0x80_0000] });
    const owner = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    owner.map(0x1000, 0x1000, PageSize.Size4K, RW);
    owner.map(0x100_0000_0000, 0x1000, PageSize.Size4K, RW);
    plant(ram, owner, 5, 0xf00);
    const adopted = new PageTable64(TOY4, ram, owner.rootPaddr, true);
    const used = ram.framesInUse;
    const e = caught(() => adopted.destroy());
    expect(e?.kind).toBe('InvalidAddress');
    expect(ram.framesInUse).toBe(used);
    // Still usable, and destroyable once the foreign link is gone.
    expect(adopted.queryPa(0x1000)).toBe(0x1000);
    plant(ram, owner, 5, 0);
    ram.words[ram.frameWord((owner.rootPaddr as number) / 4096) + 10] = 0;
    adopted.destroy();
    expect(ram.framesInUse).toBe(0);
    expect(kind(() => adopted.queryPa(0x1000))).toBe('Destroyed');
  });

  it('a failed mapRegion restores entries that were free but not zero', () => {
    const { ram, pt } = setup();
    // Junk in a not-present entry (P clear): an OS's swap entry, say.
    const leafTable = (() => {
      pt.map(0x3000, 0x3000, PageSize.Size4K, RW);
      const w = ram.words;
      for (let i = 0; i < w.length; i += 2) if (w[i] === 0x3003 && w[i + 1] === 0) return i - 6;
      throw new Error('leaf not found');
    })();
    ram.words[leafTable + 4] = 0xabc0_0000;
    const before = ram.words.slice();
    const used = ram.framesInUse;
    // Maps 0x0, 0x1000, 0x2000 (over the junk), then hits 0x3000.
    expect(kind(() => pt.mapRegion(0, 0x10_0000, 0x5000, RW))).toBe('AlreadyMapped');
    expect(sameMemory(ram.words, before)).toBe(true);
    expect(ram.framesInUse).toBe(used);
  });

  it('a failed mapRegion across many tables leaves RAM byte for byte as before', () => {
    const ram = new RamHandler({ base: 0, size: 16 << 20, allocRange: [0x1000, 0x20_0000] });
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    pt.map(0x7f_c000_0000, 0x1000, PageSize.Size4K, RW);
    const before = ram.words.slice();
    const used = ram.framesInUse;
    // 1 GiB of 4K pages needs 512 last-level tables; the allocator has fewer.
    expect(kind(() => pt.mapRegion(0x40_0000_0000, 0x4000_0000, 0x4000_0000, RW))).toBe('NoMemory');
    expect(sameMemory(ram.words, before)).toBe(true);
    expect(ram.framesInUse).toBe(used);
  });
});
