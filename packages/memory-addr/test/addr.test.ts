import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADDR_MAX,
  type Addr,
  AddressError,
  defineAddr,
  fromBigUnchecked,
  fromHalves,
  hi32,
  lo32,
  type PhysAddr,
  pa,
  toAddrValue,
  toBigInt,
  toNumber,
  type VirtAddr,
  va,
} from '../src/index.js';
import { canon, EDGES, expectCanon, MAX, NOT_ADDRESSES, SAFE, u64Input } from './model.js';

describe('address values', () => {
  it('keeps safe values as numbers and larger ones as bigints', () => {
    expect(va(5n)).toBe(5);
    expect(pa(0)).toBe(0);
    expect(va(0xffff_ffff)).toBe(0xffff_ffff);
    expect(va(2 ** 32)).toBe(2 ** 32);
    expect(va(2 ** 47 - 1)).toBe(2 ** 47 - 1);
    expect(va(2 ** 52 - 1)).toBe(2 ** 52 - 1);
    expect(va(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(va(SAFE)).toBe(Number.MAX_SAFE_INTEGER);
    expect(va(SAFE + 1n)).toBe(SAFE + 1n);
    expect(va(1n << 63n)).toBe(1n << 63n);
    expect(va(MAX)).toBe(MAX);
    expect(ADDR_MAX).toBe(MAX);
  });

  it('gives one representation per value, so === and Map keys work', () => {
    const m = new Map<number | bigint, string>([[va(0x1000n), 'a']]);
    expect(m.get(va(0x1000))).toBe('a');
    expect(new Set([pa(1n), pa(1), pa(1n << 60n), pa(1n << 60n)]).size).toBe(2);
    expect(Object.is(va(-0), 0)).toBe(true);
  });

  it.each(NOT_ADDRESSES)('rejects %s', (x) => {
    expect(() => va(x)).toThrow(AddressError);
    expect(() => pa(x)).toThrow(AddressError);
    expect(() => toAddrValue(x)).toThrow(AddressError);
  });

  it('explains the rejection', () => {
    expect(() => va(2 ** 53)).toThrow(/va: 9007199254740992 is not a safe non-negative integer; pass a bigint/);
    expect(() => pa(1n << 64n)).toThrow(/pa: 0x10000000000000000n is outside 0\.\.2\^64-1/);
    expect(() => toAddrValue('1' as unknown as number)).toThrow(/expected a number or bigint, got string/);
    const err = (() => {
      try {
        va(1.5);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).name).toBe('AddressError');
  });

  it('converts to bigint and number', () => {
    expect(toBigInt(va(5))).toBe(5n);
    expect(toBigInt(va(MAX))).toBe(MAX);
    expect(toNumber(va(SAFE))).toBe(Number.MAX_SAFE_INTEGER);
    expect(toNumber(7n)).toBe(7);
    expect(() => toNumber(va(SAFE + 1n))).toThrow(AddressError);
    expect(fromBigUnchecked(SAFE)).toBe(Number.MAX_SAFE_INTEGER);
    expect(fromBigUnchecked(SAFE + 1n)).toBe(SAFE + 1n);
  });

  it('makes user-defined kinds', () => {
    type GuestPhysAddr = Addr<'GPA'>;
    const gpa = defineAddr('GPA');
    const g: GuestPhysAddr = gpa(0x1000n);
    expect(g).toBe(0x1000);
    expect(() => gpa(-1)).toThrow(/GPA: -1/);
  });

  it('keeps kinds apart in the type checker', () => {
    const p: PhysAddr = pa(1);
    // @ts-expect-error a PhysAddr is not a VirtAddr
    const v: VirtAddr = p;
    // @ts-expect-error a plain number is not an address
    const w: VirtAddr = 1;
    expect([v, w]).toEqual([1, 1]);
  });

  it('accepts any u64 and canonicalises it (property)', () => {
    fc.assert(
      fc.property(u64Input, ([want, input]) => {
        expectCanon(va(input), want);
        expect(toBigInt(pa(input))).toBe(want);
      }),
    );
  });
});

describe('32-bit halves', () => {
  it('splits the edges', () => {
    expect([hi32(0), lo32(0)]).toEqual([0, 0]);
    expect([hi32(0xffff_ffff), lo32(0xffff_ffff)]).toEqual([0, 0xffff_ffff]);
    expect([hi32(2 ** 32), lo32(2 ** 32)]).toEqual([1, 0]);
    expect([hi32(Number.MAX_SAFE_INTEGER), lo32(Number.MAX_SAFE_INTEGER)]).toEqual([0x1f_ffff, 0xffff_ffff]);
    expect([hi32(SAFE + 1n), lo32(SAFE + 1n)]).toEqual([0x20_0000, 0]);
    expect([hi32(MAX), lo32(MAX)]).toEqual([0xffff_ffff, 0xffff_ffff]);
    expect(fromHalves(0x1f_ffff, 0xffff_ffff)).toBe(Number.MAX_SAFE_INTEGER);
    expect(fromHalves(0x20_0000, 0)).toBe(SAFE + 1n);
    expect(fromHalves(0xffff_ffff, 0xffff_ffff)).toBe(MAX);
  });

  it('round-trips every u64 (property)', () => {
    for (const e of EDGES) expect(fromHalves(hi32(canon(e)), lo32(canon(e)))).toBe(canon(e));
    fc.assert(
      fc.property(u64Input, ([want, input]) => {
        const hi = hi32(input);
        const lo = lo32(input);
        expect(hi).toBe(Number(want >> 32n));
        expect(lo).toBe(Number(want & 0xffff_ffffn));
        expectCanon(fromHalves(hi, lo), want);
      }),
    );
  });

  it('rebuilds any pair of halves (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 0xffff_ffff }), (hi, lo) => {
        const v = fromHalves(hi, lo);
        expectCanon(v, (BigInt(hi) << 32n) | BigInt(lo));
        expect([hi32(v), lo32(v)]).toEqual([hi, lo]);
      }),
    );
  });
});

describe('the halves helpers refuse what is not an address', () => {
  it('hi32 / lo32 / split64 throw AddressError instead of wrapping modulo 2^64', async () => {
    const { AddressError, split64 } = await import('../src/index.js');
    for (const bad of NOT_ADDRESSES) {
      expect(() => hi32(bad), String(bad)).toThrow(AddressError);
      expect(() => lo32(bad), String(bad)).toThrow(AddressError);
    }
    expect(() => hi32(-1n)).toThrow(/-0x1n is not an address/);
    expect(() => lo32(-0x1000)).toThrow(AddressError);
    for (const bad of [-1n, 1n << 64n, 5, '5', undefined])
      expect(() => split64(bad as bigint), String(bad)).toThrow(AddressError);
    expect(() => hi32(Symbol('x') as unknown as bigint)).toThrow(/got symbol/);
  });

  it('fromHalves takes 32-bit words (signed or unsigned, as bit operators give them) and nothing else', async () => {
    const { AddressError } = await import('../src/index.js');
    expect(fromHalves(-1, -1)).toBe(MAX);
    expect(fromHalves(0x7fff_ffff | 0x8000_0000, 0)).toBe(0xffff_ffff_0000_0000n);
    for (const [hi, lo] of [
      [2 ** 32, 0],
      [0, -(2 ** 31) - 1],
      [1.5, 0],
      [Number.NaN, 0],
      [0, Number.POSITIVE_INFINITY],
      [1n, 0],
    ]) {
      expect(() => fromHalves(hi as number, lo as number), `${String(hi)}, ${String(lo)}`).toThrow(AddressError);
    }
  });
});

describe('split64', () => {
  it('splits bigints into exact 32-bit halves without bigint arithmetic', async () => {
    const { split64, splitHi, splitLo } = await import('../src/index.js');
    for (const v of [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0xffff_8000_0000_1234n, 0xffff_ffff_ffff_ffffn]) {
      split64(v);
      expect((BigInt(splitHi()) << 32n) | BigInt(splitLo())).toBe(v);
    }
  });
});
