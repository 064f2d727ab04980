// Unit tests of the A64PTE codec against the Arm ARM's descriptor layout
// (VMSAv8-64 stage 1, 4 KiB granule).
import { MappingFlags } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import {
  A64_EL2_METADATA,
  A64_METADATA,
  A64PTE,
  a64Metadata,
  DescriptorAttr as D,
  DEFAULT_ATTR_INDEX,
  MAIR_VALUE,
  MairAttr,
  MemAttr,
  mairValue,
  ttbrIndex,
  ttbrValue,
} from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV, UNCACHED: UC } = MappingFlags;
const el1 = A64_METADATA.pte as A64PTE;
const el2 = A64_EL2_METADATA.pte as A64PTE;
const ALL_FLAGS = Array.from({ length: 64 }, (_, i) => i);

function halves(e: bigint): [number, number] {
  return [Number(e & 0xffff_ffffn), Number(e >> 32n)];
}

describe('DescriptorAttr bit positions', () => {
  it.each([
    ['VALID', 0],
    ['NON_BLOCK', 1],
    ['NS', 5],
    ['AP_EL0', 6],
    ['AP_RO', 7],
    ['INNER', 8],
    ['SHAREABLE', 9],
    ['AF', 10],
    ['NG', 11],
    ['CONTIGUOUS', 52],
    ['PXN', 53],
    ['UXN', 54],
    ['PXN_TABLE', 59],
    ['XN_TABLE', 60],
    ['AP_NO_EL0_TABLE', 61],
    ['AP_NO_WRITE_TABLE', 62],
    ['NS_TABLE', 63],
  ] as const)('%s is bit %i', (name, bit) => {
    expect(D[name]).toBe(1n << BigInt(bit));
  });

  it('fields: AttrIndx 4..2, SH 9..8, address 47..12', () => {
    expect(D.ATTR_INDX).toBe(0x1cn);
    expect(D.SH).toBe(D.INNER | D.SHAREABLE);
    expect(D.ADDR).toBe(((1n << 48n) - 1n) & ~0xfffn);
  });
});

describe('descriptor kinds', () => {
  it('bits [1:0]: 00 and 10 invalid, 01 block, 11 table/page', () => {
    const kinds = [0n, 1n, 2n, 3n].map((b) => {
      const [lo, hi] = halves(b | 0x4000_0000n);
      return [el1.present(lo, hi), el1.huge(lo, hi), el1.table(lo, hi)];
    });
    expect(kinds).toEqual([
      [false, false, false],
      [true, true, false],
      [false, false, false],
      [true, false, true],
    ]);
  });

  it('deliberate fix: an all-zero descriptor is not a block (upstream is_huge(0) is true)', () => {
    const upstreamIsHuge = (e: bigint) => (e & D.NON_BLOCK) === 0n;
    expect(upstreamIsHuge(0n)).toBe(true);
    expect(el1.isHuge(0n)).toBe(false);
    expect(el1.huge(0, 0)).toBe(false);
    expect(el1.isPresent(0n)).toBe(false);
    expect(el1.table(0, 0)).toBe(false);
    expect(el1.isUnused(0n)).toBe(true);
    expect(el1.flags(0n)).toBe(0);
  });

  it('new_table is VALID|NON_BLOCK plus the address, no hierarchical bits', () => {
    expect(el1.newTable(0x1234_5000)).toBe(0x1234_5003n);
    expect(el2.newTable(0xffff_ffff_f000)).toBe(0xffff_ffff_f003n);
  });

  it('a page has bits [1:0] = 11, a block 01, both with AF', () => {
    expect(el1.newPage(0x1000, R, false) & 0x403n).toBe(0x403n);
    expect(el1.newPage(0x20_0000, R, true) & 0x403n).toBe(0x401n);
  });
});

describe('flag encoding (EL1&0)', () => {
  it('READ sets VALID; no WRITE sets AP[2]', () => {
    expect(el1.newPage(0, R, false) & D.VALID).toBe(D.VALID);
    expect(el1.newPage(0, R, false) & D.AP_RO).toBe(D.AP_RO);
    expect(el1.newPage(0, R | W, false) & D.AP_RO).toBe(0n);
  });

  it('kernel pages are never EL0-executable, user pages never EL1-executable', () => {
    const xn = (f: number) => el1.newPage(0, f, false) & (D.PXN | D.UXN | D.AP_EL0);
    expect(xn(R)).toBe(D.PXN | D.UXN);
    expect(xn(R | X)).toBe(D.UXN);
    expect(xn(R | U)).toBe(D.AP_EL0 | D.PXN | D.UXN);
    expect(xn(R | X | U)).toBe(D.AP_EL0 | D.PXN);
  });

  it('memory type: DEVICE wins over UNCACHED; Normal and non-cacheable are inner shareable', () => {
    const attr = (f: number) => el1.newPage(0, f, false) & (D.ATTR_INDX | D.SH);
    expect(attr(R)).toBe((BigInt(MemAttr.Normal) << 2n) | D.SH);
    expect(attr(R | UC)).toBe((BigInt(MemAttr.NormalNonCacheable) << 2n) | D.SH);
    expect(attr(R | DEV)).toBe(BigInt(MemAttr.Device) << 2n);
    expect(attr(R | DEV | UC)).toBe(BigInt(MemAttr.Device) << 2n);
  });

  it('NS, nG, Contiguous and the table bits are never set by encodePage', () => {
    const never =
      D.NS | D.NG | D.CONTIGUOUS | D.PXN_TABLE | D.XN_TABLE | D.AP_NO_EL0_TABLE | D.AP_NO_WRITE_TABLE | D.NS_TABLE;
    for (const pte of [el1, el2])
      for (const f of ALL_FLAGS)
        for (const huge of [false, true]) expect(pte.newPage(0x1000, f, huge) & never).toBe(0n);
  });

  it('empty flags give only AF (and NON_BLOCK for a page): invalid but not unused, as upstream', () => {
    expect(el1.newPage(0x4000_0000, 0, false)).toBe(0x4000_0402n);
    expect(el1.newPage(0x4000_0000, 0, true)).toBe(0x4000_0400n);
  });
});

describe('flag decoding', () => {
  const NORMAL = BigInt(MemAttr.Normal) << 2n;
  const base = D.VALID | D.NON_BLOCK | D.AF | NORMAL;
  it.each([
    ['AP[2:1]=00, PXN=0', base | D.UXN, R | W | X],
    ['AP[2]=1', base | D.AP_RO | D.PXN | D.UXN, R],
    ['AP[1]=1, UXN=0', base | D.AP_EL0 | D.PXN, R | W | X | U],
    ['AP[1]=1, UXN=1', base | D.AP_EL0 | D.PXN | D.UXN, R | W | U],
    ['AP[1]=1, PXN=0 UXN=1 (user, kernel-executable: EXECUTE follows UXN)', base | D.AP_EL0 | D.UXN, R | W | U],
    ['AttrIndx 0', (base & ~D.ATTR_INDX) | D.PXN | D.UXN, R | W | DEV],
    ['AttrIndx 2', (base & ~D.ATTR_INDX) | (2n << 2n) | D.PXN | D.UXN, R | W | UC],
    ['AttrIndx 7', base | (7n << 2n) | D.PXN | D.UXN, R | W],
    ['invalid', (base & ~D.VALID) | (1n << 2n), 0],
  ])('EL1: %s', (_what, entry, flags) => {
    expect(el1.flags(entry)).toBe(flags);
  });

  it('EL2: EXECUTE follows UXN only; USER is never reported', () => {
    expect(el2.flags(D.VALID | D.AP_EL0 | (1n << 2n))).toBe(R | W | X);
    expect(el2.flags(D.VALID | D.PXN | (1n << 2n))).toBe(R | W | X);
    expect(el2.flags(D.VALID | D.UXN | D.AP_RO | (1n << 2n))).toBe(R);
  });
});

describe('normalizeFlags', () => {
  it.each([
    [R | W | X | U, R | W | X | U],
    [R | X, R | X],
    [R | DEV | UC, R | DEV],
    [R | W | UC, R | W | UC],
    [W, 0],
    [X | U, 0],
    [0, 0],
  ])('EL1: %i reads back as %i', (f, back) => {
    expect(el1.normalizeFlags(f)).toBe(back);
  });

  it.each([
    [R | U, R],
    [R | W | X | U, R | W | X],
    [R | X | DEV, R | X | DEV],
  ])('EL2: %i reads back as %i (USER dropped)', (f, back) => {
    expect(el2.normalizeFlags(f)).toBe(back);
  });

  it('every accepted set reads back as itself minus what the regime cannot hold', () => {
    for (const f of ALL_FLAGS) {
      if (el1.checkFlags(f) !== undefined) continue;
      const want = f & DEV ? f & ~UC : f;
      expect(el1.normalizeFlags(f)).toBe(want);
      expect(el2.normalizeFlags(f)).toBe(want & ~U);
    }
  });
});

describe('checkFlags', () => {
  it('deliberate fix: READ-less W, X and W|X are rejected (upstream writes an invalid descriptor)', () => {
    for (const f of [W, X, W | X, W | U, X | U | DEV, W | X | U | UC]) {
      expect(el1.checkFlags(f)).toMatch(/without READ/);
      expect(el2.checkFlags(f)).toMatch(/without READ/);
      // What upstream would have written: VALID clear.
      expect(el1.isPresent(el1.newPage(0x1000, f, false))).toBe(false);
    }
  });

  it('every set with READ is accepted and encodes a valid descriptor', () => {
    for (const f of ALL_FLAGS) {
      if (!(f & R)) continue;
      expect(el1.checkFlags(f)).toBeUndefined();
      expect(el2.checkFlags(f)).toBeUndefined();
      expect(el1.isPresent(el1.newPage(0x1000, f, false))).toBe(true);
    }
  });
});

describe('address field', () => {
  const TOP = 2 ** 36 - 1; // highest frame of a 48-bit PA
  it.each([
    ['frame 0', 0],
    ['frame 1', 1],
    ['the last frame below 2^32', 2 ** 20 - 1],
    ['PA 2^32', 2 ** 20],
    ['PA 2^32 + 4K', 2 ** 20 + 1],
    ['a mixed frame', 0x9_8765_4321],
    ['the highest frame of the 48-bit PA', TOP],
  ])('%s round-trips through encodePage, encodeTable and setFrame', (_what, frame) => {
    for (const huge of [false, true]) {
      el1.encodePage(frame, R | W | X | U, huge);
      expect(el1.frame(el1.lo, el1.hi)).toBe(frame);
      expect(el1.decodeFlags(el1.lo, el1.hi)).toBe(R | W | X | U);
    }
    el1.encodeTable(frame);
    expect(el1.frame(el1.lo, el1.hi)).toBe(frame);
    expect(el1.table(el1.lo, el1.hi)).toBe(true);
    el1.setFrame(0xffff_ffff, 0xffff_ffff, frame);
    expect(el1.frame(el1.lo, el1.hi)).toBe(frame);
    expect(el1.lo & 0xfff).toBe(0xfff);
    expect(el1.hi >>> 16).toBe(0xffff);
    const pa = frame * 4096;
    expect(el1.paddr(el1.newPage(pa, R, false))).toBe(pa);
    expect(el1.paddr(el1.newPage(BigInt(pa), R, true))).toBe(pa);
  });

  it('the highest 48-bit PA is bits 47..12 all set', () => {
    expect(el1.newTable(0xffff_ffff_f000)).toBe(0x0000_ffff_ffff_f003n);
  });

  it('setPaddr keeps every attribute bit, including the hierarchical table bits', () => {
    const tableBits = D.PXN_TABLE | D.XN_TABLE | D.AP_NO_EL0_TABLE | D.AP_NO_WRITE_TABLE | D.NS_TABLE;
    const e = el1.newTable(0x1000) | tableBits;
    expect(el1.setPaddr(e, 0x1_2345_6000)).toBe(tableBits | 0x1_2345_6003n);
  });

  it('bits beyond the 48-bit field are masked, as upstream new_page does (the walker rejects such PAs first)', () => {
    expect(el1.newTable(2n ** 48n + 0x5000n)).toBe(0x5003n);
  });

  it('the in-page offset is dropped', () => {
    expect(el1.newTable(0x1fff)).toBe(0x1003n);
  });
});

describe('attrIndex option', () => {
  const custom = new A64PTE({ attrIndex: { device: 4, normal: 0, nonCacheable: 7 } });
  it('writes the configured slots', () => {
    expect(custom.newPage(0, R | DEV, false) & (D.ATTR_INDX | D.SH)).toBe(4n << 2n);
    expect(custom.newPage(0, R, false) & (D.ATTR_INDX | D.SH)).toBe(D.SH);
    expect(custom.newPage(0, R | UC, false) & (D.ATTR_INDX | D.SH)).toBe((7n << 2n) | D.SH);
  });

  it('decodes the configured slots back, other slots as plain memory', () => {
    for (const f of [R, R | DEV, R | UC, R | W | X | U | DEV]) {
      expect(custom.normalizeFlags(f)).toBe(f);
    }
    expect(custom.flags(D.VALID | D.AP_RO | D.PXN | D.UXN)).toBe(R); // slot 0 is Normal here
    expect(custom.flags(D.VALID | D.AP_RO | D.PXN | D.UXN | (2n << 2n))).toBe(R);
  });

  it('rejects overlapping or out-of-range slots and unknown regimes', () => {
    expect(() => new A64PTE({ attrIndex: { device: 1, normal: 1, nonCacheable: 2 } })).toThrow(RangeError);
    expect(() => new A64PTE({ attrIndex: { device: 8, normal: 1, nonCacheable: 2 } })).toThrow(RangeError);
    expect(() => new A64PTE({ attrIndex: { device: 0.5, normal: 1, nonCacheable: 2 } })).toThrow(RangeError);
    expect(() => new A64PTE({ regime: 'el3' as 'el1' })).toThrow(RangeError);
  });
});

describe('metadata', () => {
  it('4 levels, 48-bit PA and VA, top-bits check', () => {
    for (const m of [A64_METADATA, A64_EL2_METADATA]) {
      expect(m).toMatchObject({ levels: 4, paBits: 48, vaBits: 48, vaCheck: 'top-bits' });
    }
    expect((A64_METADATA.pte as A64PTE).regime).toBe('el1');
    expect((A64_EL2_METADATA.pte as A64PTE).regime).toBe('el2');
    expect(A64_METADATA.pte.arch).toBe('aarch64');
  });

  it('one metadata object (one codec) per configuration', () => {
    expect(a64Metadata()).toBe(A64_METADATA);
    expect(a64Metadata({ regime: 'el1', attrIndex: { ...DEFAULT_ATTR_INDEX } })).toBe(A64_METADATA);
    expect(a64Metadata({ regime: 'el2' })).toBe(A64_EL2_METADATA);
    const idx = { device: 3, normal: 5, nonCacheable: 6 };
    const a = a64Metadata({ attrIndex: idx });
    expect(a64Metadata({ attrIndex: { ...idx } })).toBe(a);
    expect(a64Metadata({ regime: 'el2', attrIndex: idx })).not.toBe(a);
    expect((a.pte as A64PTE).attrIndex).toEqual(idx);
    expect(a.name).toContain('device=3');
    expect(() => a64Metadata({ attrIndex: { device: 3, normal: 3, nonCacheable: 6 } })).toThrow(RangeError);
  });
});

describe('registers', () => {
  it('mairValue builds MAIR_VALUE from the default slots', () => {
    expect(MAIR_VALUE).toBe(0x0044_ff04);
    expect(mairValue([MairAttr.DEVICE_nGnRE, MairAttr.NORMAL_WB, MairAttr.NORMAL_NC])).toBe(MAIR_VALUE);
    expect(mairValue([])).toBe(0);
  });

  it('mairValue gives a bigint past 2^53 and rejects bad bytes', () => {
    expect(mairValue([0, 0, 0, 0, 0, 0, 0, 0xff])).toBe(0xff00_0000_0000_0000n);
    expect(mairValue([0, 0, 0, 0, 0, 0, MairAttr.DEVICE_GRE])).toBe(0x0c_0000_0000_0000);
    expect(mairValue([0, 0, 0, 0, 0, 0, MairAttr.NORMAL_NC])).toBe(0x44_0000_0000_0000n);
    expect(() => mairValue([0x100])).toThrow(RangeError);
    expect(() => mairValue(new Array(9).fill(0))).toThrow(RangeError);
  });

  it('ttbrValue puts the root in BADDR and the ASID in bits 63..48', () => {
    expect(ttbrValue(0x4000_0000)).toBe(0x4000_0000);
    expect(ttbrValue(0x4000_0000, 0xffff)).toBe(0xffff_0000_4000_0000n);
    expect(ttbrValue(0x8000_0000_0000n, 1)).toBe(0x0001_8000_0000_0000);
    expect(() => ttbrValue(0x1234)).toThrow(RangeError);
    expect(() => ttbrValue(2 ** 48)).toThrow(RangeError);
    expect(() => ttbrValue(0, 0x10000)).toThrow(RangeError);
  });

  it('ttbrIndex selects TTBR1 for the upper range', () => {
    expect(ttbrIndex(0)).toBe(0);
    expect(ttbrIndex(0x0000_ffff_ffff_ffff)).toBe(0);
    expect(ttbrIndex(0xffff_0000_0000_0000n)).toBe(1);
    expect(ttbrIndex(0xffff_ffff_ffff_f000n)).toBe(1);
  });
});
