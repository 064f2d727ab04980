/**
 * The walker's fast paths (a number or bigint VA taking one guard before the
 * walk; a number VA and PA, a 4 KiB page and the last flags seen for `map`)
 * against its checked paths: the same operations, given so that the checked
 * path runs (a bigint VA or PA, a flag set other than the last one), must
 * give the same results, the same error kinds and the same RAM.
 */

import { sameMemory } from '@page-table/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MappingFlags as F, isPagingError, PageSize, PageTable64, RamHandler } from '../src/index.js';
import { TOY4 } from './toy-arch.js';

const RW = F.READ | F.WRITE;

function setup() {
  const ram = new RamHandler({ base: 0, size: 4 << 20 });
  return { ram, pt: new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true) };
}

/** The result of `fn`, or the kind of the PagingError it threw. */
function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (e) {
    if (isPagingError(e)) return { error: e.kind };
    throw e;
  }
}

/** A VA as a number, bigint, or something a VA must not be. */
const vaArb = fc.oneof(
  // Pages in a few tables, with an offset: mostly mapped or nearby.
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 0xfff }))
    .map(([t, p, o]) => t * 0x4000_0000 + p * 4096 + o),
  fc.constantFrom(
    0x7fff_ffff_f000,
    0x8000_0000_0000, // not canonical
    2 ** 53, // past the number range
    2 ** 53 - 4096,
    -4096,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ),
);

const opArb = fc.oneof(
  fc.record({ op: fc.constant('map' as const), va: vaArb, pa: fc.integer({ min: 0, max: 0x3ff }), huge: fc.boolean() }),
  fc.record({ op: fc.constant('protect' as const), va: vaArb, flags: fc.constantFrom(RW, F.READ, RW | F.EXECUTE) }),
  fc.record({ op: fc.constant('unmap' as const), va: vaArb }),
  fc.record({ op: fc.constant('query' as const), va: vaArb }),
);

/** The bigint form of a number VA where it is an address, else the number itself (both take the checked path). */
function big(va: number): number | bigint {
  return Number.isSafeInteger(va) && va >= 0 ? BigInt(va) : va;
}

describe('fast paths agree with the checked paths', () => {
  it('map, protect, unmap, query and queryPa: same results, errors and RAM with number and bigint arguments', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const a = setup();
        const b = setup();
        for (const o of ops) {
          let ra: unknown;
          let rb: unknown;
          if (o.op === 'map') {
            const size = o.huge ? PageSize.Size2M : PageSize.Size4K;
            const pa = o.pa * size;
            ra = outcome(() => a.pt.map(o.va, pa, size, RW));
            // bigint VA and PA: the checked path.
            rb = outcome(() => b.pt.map(big(o.va), BigInt(pa), size, RW));
          } else if (o.op === 'protect') {
            ra = outcome(() => a.pt.protect(o.va, o.flags));
            rb = outcome(() => b.pt.protect(big(o.va), o.flags));
          } else if (o.op === 'unmap') {
            ra = outcome(() => a.pt.unmap(o.va));
            rb = outcome(() => b.pt.unmap(big(o.va)));
          } else {
            ra = [outcome(() => a.pt.query(o.va)), outcome(() => a.pt.queryPa(o.va))];
            rb = [outcome(() => b.pt.query(big(o.va))), outcome(() => b.pt.queryPa(big(o.va)))];
            const lo = Number.isSafeInteger(o.va) && o.va >= 0 ? o.va >>> 0 : 0;
            const hi = Number.isSafeInteger(o.va) && o.va >= 0 ? Math.floor(o.va / 2 ** 32) : 0;
            if (Number.isSafeInteger(o.va) && o.va >= 0) {
              expect(outcome(() => a.pt.queryPaHalves(hi, lo))).toEqual((ra as unknown[])[1]);
            }
          }
          expect(ra).toEqual(rb);
          if (typeof ra === 'object' && ra !== null && 'ok' in ra && typeof (ra as { ok: unknown }).ok === 'number') {
            if ((ra as { ok: number }).ok >= 0 && o.op === 'query') {
              expect([a.pt.lastFlags, a.pt.lastSize]).toEqual([b.pt.lastFlags, b.pt.lastSize]);
            }
          }
          expect(sameMemory(a.ram.words, b.ram.words)).toBe(true);
          expect(a.ram.framesInUse).toBe(b.ram.framesInUse);
          expect(a.pt.pendingFlush).toEqual(b.pt.pendingFlush);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the fast map refuses what the checked map refuses, with the same kind', () => {
    const { ram, pt } = setup();
    pt.map(0x1000, 0x2000, PageSize.Size4K, RW); // RW is now the cached flag set
    const before = ram.words.slice();
    const cases: [number, number][] = [
      [0x1000, 0x3000], // already mapped
      [0x1001, 0x3000], // VA not aligned
      [0x2000, 0x3001], // PA not aligned
      [0x2000, 2 ** 52], // PA past 52 bits
      [0x2000, -4096],
      [0x2000, 0.5], // not an integer
      [0x8000_0000_0000, 0x3000], // not canonical
      [2 ** 53, 0x3000],
    ];
    const kinds = cases.map(([va, pa]) => outcome(() => pt.map(va, pa, PageSize.Size4K, RW)));
    const checked = cases.map(([va, pa]) => {
      const other = setup().pt;
      other.map(0x1000, 0x2000, PageSize.Size4K, RW);
      return outcome(() => other.map(big(va), pa >= 0 && Number.isInteger(pa) ? BigInt(pa) : pa, PageSize.Size4K, RW));
    });
    expect(kinds).toEqual(checked);
    expect(kinds.map((k) => (k as { error?: string }).error)).toEqual([
      'AlreadyMapped',
      'NotAligned',
      'NotAligned',
      'InvalidAddress',
      'InvalidAddress',
      'InvalidAddress',
      'InvalidAddress',
      'InvalidAddress',
    ]);
    expect(sameMemory(ram.words, before)).toBe(true);
  });

  it('a destroyed or busy table refuses the fast paths as the checked ones', () => {
    const { pt } = setup();
    pt.map(0x1000, 0x2000, PageSize.Size4K, RW);
    const seen: unknown[] = [];
    pt.mapRegion(
      0x10_0000,
      () => {
        seen.push(outcome(() => pt.map(0x3000, 0x4000, PageSize.Size4K, RW)));
        seen.push(outcome(() => pt.protect(0x1000, RW)));
        seen.push(outcome(() => pt.unmap(0x1000)));
        seen.push(outcome(() => pt.queryPa(0x1000)));
        seen.push(outcome(() => pt.queryPa(0x1000n)));
        return 0x5000;
      },
      0x1000,
      RW,
    );
    expect(seen).toEqual([{ error: 'Busy' }, { error: 'Busy' }, { error: 'Busy' }, { ok: 0x2000 }, { ok: 0x2000 }]);
    pt.destroy();
    for (const fn of [
      () => pt.map(0x3000, 0x4000, PageSize.Size4K, RW),
      () => pt.protect(0x1000, RW),
      () => pt.unmap(0x1000),
      () => pt.query(0x1000),
      () => pt.queryPa(0x1000),
      () => pt.queryPa(0x1000n),
      () => pt.query(0x1000n),
    ]) {
      expect(outcome(fn)).toEqual({ error: 'Destroyed' });
    }
  });
});
