import { MappingFlags, type PagingMetaData } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { X64_LA57_METADATA, X64_METADATA, X64_PHYS_ADDR_MASK, X64_PTE, X64Bits, X64PTE } from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV, UNCACHED: UC } = MappingFlags;
const pte = X64_PTE;
const bit = (n: number): bigint => 1n << BigInt(n);
const XD = bit(63);

describe('X64Bits: names and positions from the Intel SDM (Vol. 3A, 4.5)', () => {
  it('places each named bit at its documented position', () => {
    expect(X64Bits.P).toBe(1 << 0);
    expect(X64Bits.RW).toBe(1 << 1);
    expect(X64Bits.US).toBe(1 << 2);
    expect(X64Bits.PWT).toBe(1 << 3);
    expect(X64Bits.PCD).toBe(1 << 4);
    expect(X64Bits.A).toBe(1 << 5);
    expect(X64Bits.D).toBe(1 << 6);
    expect(X64Bits.PS).toBe(1 << 7);
    expect(X64Bits.PAT).toBe(1 << 7);
    expect(X64Bits.G).toBe(1 << 8);
    expect(X64Bits.PAT_LARGE).toBe(1 << 12);
    expect(BigInt(X64Bits.XD_HI) << 32n).toBe(XD);
    expect(X64_PHYS_ADDR_MASK).toBe(bit(52) - bit(12));
  });

  it('READ alone is P with XD (no write, supervisor, not executable)', () => {
    expect(pte.newPage(0, R, false)).toBe(bit(0) | XD);
  });

  it('WRITE sets R/W (bit 1)', () => {
    expect(pte.newPage(0, R | W, false) ^ pte.newPage(0, R, false)).toBe(bit(1));
  });

  it('USER sets U/S (bit 2)', () => {
    expect(pte.newPage(0, R | U, false) ^ pte.newPage(0, R, false)).toBe(bit(2));
  });

  it('DEVICE and UNCACHED each set PWT (bit 3) and PCD (bit 4)', () => {
    for (const f of [DEV, UC, DEV | UC]) {
      expect(pte.newPage(0, R | f, false) ^ pte.newPage(0, R, false)).toBe(bit(3) | bit(4));
    }
  });

  it('a huge leaf sets PS (bit 7), also for empty flags', () => {
    expect(pte.newPage(0, R, true) ^ pte.newPage(0, R, false)).toBe(bit(7));
    expect(pte.newPage(0x4000_0000, 0, true)).toBe(0x4000_0000n | bit(7));
  });

  it('EXECUTE clears XD (bit 63)', () => {
    expect(pte.newPage(0, R, false) ^ pte.newPage(0, R | X, false)).toBe(XD);
  });

  it('never sets A, D, G, PAT (large) or the OS-available bits', () => {
    const forbidden = bit(5) | bit(6) | bit(8) | bit(9) | bit(10) | bit(11) | (bit(63) - bit(52));
    for (let f = 0; f < 64; f++) {
      for (const huge of [false, true]) {
        const e = pte.newPage(0xf_ffff_ffff_f000n, f, huge);
        expect(e & forbidden).toBe(0n);
        if (huge) expect(pte.newPage(0, f, huge) & bit(12)).toBe(0n);
      }
    }
    expect(pte.newTable(0) & forbidden).toBe(0n);
  });

  it('a table link is P|R/W|U/S, executable, PS clear', () => {
    expect(pte.newTable(0x1000)).toBe(0x1007n);
    pte.encodeTable(0x1234);
    expect(pte.table(pte.lo, pte.hi)).toBe(true);
    expect(pte.huge(pte.lo, pte.hi)).toBe(false);
    expect(pte.decodeFlags(pte.lo, pte.hi)).toBe(R | W | X | U);
  });
});

describe('half-word predicates', () => {
  it('table = P && !PS, present = P, huge = PS', () => {
    const cases: [lo: number, present: boolean, table: boolean, huge: boolean][] = [
      [0x000, false, false, false],
      [0x001, true, true, false],
      [0x081, true, false, true],
      [0x080, false, false, true],
      [0x1000, false, false, false],
    ];
    for (const [lo, present, table, huge] of cases) {
      expect(pte.present(lo, 0x8000_0000)).toBe(present);
      expect(pte.table(lo, 0x8000_0000)).toBe(table);
      expect(pte.huge(lo, 0x8000_0000)).toBe(huge);
    }
  });

  it('the all-zero entry is unused, not present, not a table, not huge', () => {
    expect(pte.isUnused(0n)).toBe(true);
    expect(pte.present(0, 0) || pte.table(0, 0) || pte.huge(0, 0)).toBe(false);
    expect(pte.decodeFlags(0, 0)).toBe(0);
  });
});

describe('decodeFlags', () => {
  it('reads a non-present entry as no flags whatever its other bits', () => {
    expect(pte.flags(0xffff_ffff_ffff_fffen)).toBe(0);
  });

  it('ignores A, D, G, PAT and the OS-available bits', () => {
    const base = pte.newPage(0x2000, R | W, false);
    const noisy = base | bit(5) | bit(6) | bit(8) | bit(9) | bit(11) | bit(52) | bit(62);
    expect(pte.flags(noisy)).toBe(R | W);
  });

  it('reports PCD as UNCACHED (PWT alone is ignored; DEVICE is never reported)', () => {
    expect(pte.flags(bit(0) | bit(4) | XD)).toBe(R | UC);
    expect(pte.flags(bit(0) | bit(3) | XD)).toBe(R);
  });

  it('accepts the high half signed or unsigned', () => {
    const e = pte.newPage(0x3000, R, false);
    const lo = Number(e & 0xffff_ffffn);
    const hi = Number(e >> 32n);
    expect(pte.decodeFlags(lo, hi)).toBe(R);
    expect(pte.decodeFlags(lo, hi | 0)).toBe(R);
  });
});

describe('checkFlags', () => {
  it('accepts every flag set with some access (W and X imply R on x86)', () => {
    for (let f = 0; f < 64; f++) {
      if (f & (R | W | X)) expect(pte.checkFlags(f)).toBeUndefined();
    }
  });
});

describe('normalizeFlags: what a leaf reads back as', () => {
  it.each([
    [0, 0],
    [R, R],
    [W, R | W],
    [X, R | X],
    [W | X, R | W | X],
    [R | W | X | U, R | W | X | U],
    [R | DEV, R | UC],
    [R | UC, R | UC],
    [R | W | X | U | DEV | UC, R | W | X | U | UC],
    [U, R | U],
  ])('%i → %i', (f, back) => {
    expect(pte.normalizeFlags(f)).toBe(back);
  });
});

describe('address field (bits 12..51)', () => {
  const roundTrip = (pa: number | bigint) => {
    for (const huge of [false, true]) {
      for (const f of [R, R | W | X | U | DEV]) {
        const e = pte.newPage(pa, f, huge);
        expect(pte.paddr(e)).toBe(pa);
        expect(pte.flags(e)).toBe(pte.normalizeFlags(f));
      }
    }
    expect(pte.paddr(pte.newTable(pa))).toBe(pa);
  };

  it('round-trips frame 0', () => {
    roundTrip(0);
    pte.encodePage(0, R, false);
    expect(pte.frame(pte.lo, pte.hi)).toBe(0);
  });

  it('round-trips PAs above 2^32', () => {
    roundTrip(0x1_0000_0000);
    roundTrip(0x1_2345_6789_a000);
    roundTrip(0xffff_f000);
  });

  it('round-trips the highest frame of the 52-bit PA width', () => {
    const top = 2 ** 52 - 4096;
    roundTrip(top);
    pte.encodePage(2 ** 40 - 1, R, false);
    expect(pte.frame(pte.lo, pte.hi)).toBe(2 ** 40 - 1);
    expect(pte.newPage(top, R | W | X, false)).toBe(X64_PHYS_ADDR_MASK | 3n);
  });

  it('drops the in-page offset and address bits above 51 (as the PHYS_ADDR_MASK of upstream)', () => {
    expect(pte.newPage(0x1fff, R | X, false)).toBe(0x1001n);
    expect(pte.newPage(bit(52) | 0x5000n, R | X, false)).toBe(0x5001n);
  });

  it('setPaddr replaces only the address, keeping XD, PS, A, D, G and OS bits', () => {
    const other = bit(5) | bit(6) | bit(8) | bit(9) | bit(52) | bit(62);
    const e = pte.newPage(0x1000, R | U | DEV, true) | other;
    const moved = pte.setPaddr(e, 0xa_bcde_f012_3000n);
    expect(moved & ~X64_PHYS_ADDR_MASK).toBe(e & ~X64_PHYS_ADDR_MASK);
    expect(pte.paddr(moved)).toBe(0xa_bcde_f012_3000);
  });

  it('setFlags rewrites every non-address bit and keeps the address', () => {
    const e = pte.newPage(0x8_0000_0000n, R, false) | bit(5) | bit(6) | bit(8) | bit(62);
    expect(pte.setFlags(e, R | W | X, true)).toBe(0x8_0000_0083n);
  });
});

describe('metadata', () => {
  const expectMeta = (m: PagingMetaData, name: string, levels: number, vaBits: number) => {
    expect(m.name).toBe(name);
    expect(m.levels).toBe(levels);
    expect(m.paBits).toBe(52);
    expect(m.vaBits).toBe(vaBits);
    expect(m.vaCheck).toBe('sign-extend');
    expect(m.pte).toBe(X64_PTE);
  };

  it('4-level: 48-bit VAs, 52-bit PAs', () => expectMeta(X64_METADATA, 'x86_64 4-level', 4, 48));
  it('5-level (LA57): 57-bit VAs, 52-bit PAs', () => expectMeta(X64_LA57_METADATA, 'x86_64 5-level (LA57)', 5, 57));
  it('shares one codec instance', () => {
    expect(X64_PTE).toBeInstanceOf(X64PTE);
    expect(X64_PTE.arch).toBe('x86_64');
  });
});
