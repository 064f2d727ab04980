/**
 * The short-descriptor and long-descriptor codecs: encodings checked bit by
 * bit against the Arm ARM's layouts (B3.5.1, B3.6.1), and fast-check round
 * trips over every field a codec writes.
 */
import { MappingFlags } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARMV7_LPAE_FORMAT,
  ARMV7_SHORT_FORMAT,
  ArmLpaePTE,
  ArmShortL1PTE,
  ArmShortL2PTE,
  armLpaeFormat,
  armV7ShortFormat,
  LpaeDescriptor,
  ShortL1,
  ShortL2,
} from '../src/index.js';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
const RW = READ | WRITE;

/** Flag sets a codec accepts (READ always, at most one memory type). */
const flagSets = fc
  .record({
    w: fc.boolean(),
    x: fc.boolean(),
    u: fc.boolean(),
    mem: fc.constantFrom(0, DEVICE, UNCACHED),
  })
  .map(({ w, x, u, mem }) => READ | (w ? WRITE : 0) | (x ? EXECUTE : 0) | (u ? USER : 0) | mem);

describe('short descriptors: first level (B3.5.1)', () => {
  const l1 = new ArmShortL1PTE();

  it('a kernel RW section of normal memory: AP 001, TEX 001 C 1 B 1, S, XN, type 10', () => {
    l1.encodePage(0x8010_0000 / 4096, RW, true);
    // PA[31:20] | S | AP[2] 0 | TEX 001 | AP[1:0] 01 | domain 0 | XN | C | B | 1 0
    expect(l1.lo).toBe((0x8010_0000 | (1 << 16) | (1 << 12) | (1 << 10) | 0x10 | 0xc | 0b10) >>> 0);
    expect(l1.hi).toBe(0);
    expect(l1.decodeFlags(l1.lo, 0)).toBe(RW);
    expect(l1.frame(l1.lo, 0)).toBe(0x8_0100);
    expect([l1.present(l1.lo, 0), l1.huge(l1.lo, 0), l1.table(l1.lo, 0)]).toEqual([true, true, false]);
  });

  it('a user read-only executable device section: AP 111, TEX 000 C 0 B 1, no S, no XN', () => {
    l1.encodePage(0x0020_0000 / 4096, READ | USER | EXECUTE | DEVICE, true);
    expect(l1.lo).toBe(0x0020_0000 | ShortL1.AP2 | (3 << 10) | ShortL1.B | 0b10);
    expect(l1.decodeFlags(l1.lo, 0)).toBe(READ | USER | EXECUTE | DEVICE);
  });

  it('a supersection: PA[31:24] in [31:24], PA[35:32] in [23:20], PA[39:36] in [8:5], bit 18', () => {
    l1.encodeSupersection(0xab_5000_0000 / 4096, RW);
    expect(l1.lo & ShortL1.SUPERSECTION_ADDR).toBe(0x5000_0000);
    expect((l1.lo >>> 20) & 15).toBe(0xb);
    expect((l1.lo >>> 5) & 15).toBe(0xa);
    expect(l1.lo & ShortL1.SUPERSECTION).toBe(ShortL1.SUPERSECTION);
    expect(l1.frame(l1.lo, 0) * 4096).toBe(0xab_5000_0000);
    expect(l1.supersection(l1.lo)).toBe(true);
    expect(l1.leafSize(l1.lo)).toBe(0x100_0000);
  });

  it('a page-table link at a 1 KiB-aligned address: a fractional frame, type 01, the codec’s domain', () => {
    const d = new ArmShortL1PTE({ domain: 5 });
    d.encodeTable(0x8400 / 4096);
    expect(d.lo).toBe(0x8400 | (5 << 5) | 0b01);
    expect(d.frame(d.lo, 0)).toBe(8.25);
    expect([d.table(d.lo, 0), d.huge(d.lo, 0)]).toEqual([true, false]);
    expect(d.decodeFlags(d.lo, 0)).toBe(0);
    expect(() => new ArmShortL1PTE({ domain: 16 })).toThrow(RangeError);
  });

  it('with PXN written: user leaves and non-executable ones get PXN (bit 0, type 11)', () => {
    const p = new ArmShortL1PTE({ pxn: true });
    p.encodePage(0x100, READ | USER | EXECUTE, true);
    expect(p.lo & 3).toBe(3);
    expect(p.decodeFlags(p.lo, 0)).toBe(READ | USER | EXECUTE);
    p.encodePage(0x100, READ | EXECUTE, true);
    expect(p.lo & 3).toBe(2);
    expect(p.decodeFlags(p.lo, 0)).toBe(READ | EXECUTE);
    p.encodePage(0x100, READ, true);
    expect(p.lo & 3).toBe(3);
  });

  it('refuses flags without READ; an all-zero entry is unused', () => {
    expect(l1.checkFlags(WRITE)).toMatch(/READ/);
    expect(l1.checkFlags(READ)).toBeUndefined();
    expect(l1.present(0, 0)).toBe(false);
  });

  it('round trip: every frame and accepted flag set of a section and a supersection', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 0xffff }), flagSets, (mb, sb, f) => {
        l1.encodePage(mb * 256, f, true);
        expect(l1.frame(l1.lo, 0)).toBe(mb * 256);
        expect(l1.decodeFlags(l1.lo, 0)).toBe(f);
        l1.encodeSupersection(sb * 4096, f);
        expect(l1.frame(l1.lo, 0)).toBe(sb * 4096);
        expect(l1.decodeFlags(l1.lo, 0)).toBe(f);
      }),
    );
  });

  it('setFrame replaces only the address field of any descriptor type', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 2 ** 28 - 1 }), (raw, x) => {
        const t = raw & 3;
        fc.pre(t !== 0);
        const sup = l1.supersection(raw);
        const frame = t === 1 ? (x & 0x3f_ffff) / 4 : sup ? (x >>> 12) * 4096 : (x & 0xfff) * 256;
        l1.setFrame(raw, 0, frame);
        expect(l1.frame(l1.lo, 0)).toBe(frame);
        const addr = t === 1 ? ShortL1.TABLE_ADDR : sup ? 0xfff0_01e0 : ShortL1.SECTION_ADDR;
        expect((l1.lo & ~addr) >>> 0).toBe((raw & ~addr) >>> 0);
      }),
    );
  });
});

describe('short descriptors: second level (B3.5.1)', () => {
  const l2 = new ArmShortL2PTE();

  it('a small page: PA[31:12], nG 0, S, AP[2] bit 9, TEX [8:6], AP[1:0] [5:4], C, B, 1, XN', () => {
    l2.encodePage(0x0050_1000 / 4096, READ | USER, false);
    expect(l2.lo).toBe(0x0050_1000 | (1 << 10) | ShortL2.AP2 | (1 << 6) | (3 << 4) | 0xc | 0b10 | 1);
    expect(l2.decodeFlags(l2.lo, 0)).toBe(READ | USER);
    expect([l2.page(l2.lo, 0), l2.huge(l2.lo, 0), l2.table(l2.lo, 0)]).toEqual([true, false, false]);
    expect(l2.leafSize(l2.lo)).toBe(0x1000);
  });

  it('a large page: PA[31:16], XN bit 15, TEX [14:12], type 01', () => {
    l2.encodePage(0x0060_0000 / 4096, RW | EXECUTE | UNCACHED, true);
    expect(l2.lo).toBe(0x0060_0000 | (1 << 12) | (1 << 10) | (1 << 4) | 0b01);
    expect(l2.decodeFlags(l2.lo, 0)).toBe(RW | EXECUTE | UNCACHED);
    expect(l2.frame(l2.lo, 0)).toBe(0x600);
    expect([l2.page(l2.lo, 0), l2.huge(l2.lo, 0)]).toEqual([false, true]);
    expect(() => l2.encodeTable(1)).toThrow(RangeError);
  });

  it('a page-table link’s PXN removes PL1 execution from kernel pages only', () => {
    l2.encodePage(1, READ | EXECUTE, false);
    expect(l2.effectiveFlags(l2.lo, 0, new ArmShortL1PTE().tableRestrictions(0x8425, 0))).toBe(READ);
    l2.encodePage(1, READ | EXECUTE | USER, false);
    expect(l2.effectiveFlags(l2.lo, 0, ShortL1.TABLE_PXN)).toBe(READ | EXECUTE | USER);
  });

  it('round trip: every frame and accepted flag set, small and large', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xf_ffff }), flagSets, fc.boolean(), (frame, f, huge) => {
        const fr = huge ? frame & ~15 : frame;
        l2.encodePage(fr, f, huge);
        expect(l2.frame(l2.lo, 0)).toBe(fr);
        expect(l2.decodeFlags(l2.lo, 0)).toBe(f);
        expect(l2.huge(l2.lo, 0)).toBe(huge);
        const other = huge ? (frame * 7) & 0xf_fff0 : (frame * 7) & 0xf_ffff;
        const before = l2.lo;
        l2.setFrame(before, 0, other);
        expect(l2.frame(l2.lo, 0)).toBe(other);
        expect(l2.decodeFlags(l2.lo, 0)).toBe(f);
      }),
    );
  });
});

describe('long descriptors (B3.6.1)', () => {
  const pte = new ArmLpaePTE();

  it('a kernel RW page of normal memory: AF, SH 11, AttrIndx 1, page type 11, XN', () => {
    pte.encodePage(0x12_3456_7000 / 4096, RW, false);
    expect(pte.lo).toBe(0x3456_7000 | 0x400 | 0x300 | (1 << 2) | 0b11);
    expect(pte.hi).toBe(0x12 | (1 << 22));
    expect(pte.frame(pte.lo, pte.hi)).toBe(0x12_3456_7);
    expect(pte.decodeFlags(pte.lo, pte.hi)).toBe(RW);
  });

  it('a user executable block: AP[1], PXN, type 01; the bigint view agrees', () => {
    const e = pte.newPage(0x4000_0000, READ | USER | EXECUTE, true);
    expect(e & LpaeDescriptor.AP1).toBe(LpaeDescriptor.AP1);
    expect(e & LpaeDescriptor.PXN).toBe(LpaeDescriptor.PXN);
    expect(e & LpaeDescriptor.XN).toBe(0n);
    expect(e & 3n).toBe(1n);
    expect(pte.flags(e)).toBe(READ | USER | EXECUTE);
  });

  it('table restrictions: APTable, XNTable, PXNTable as the walk applies them', () => {
    pte.encodePage(1, RW | USER | EXECUTE, false);
    const [lo, hi] = [pte.lo, pte.hi];
    const link = (bits: bigint) => Number(bits >> 32n);
    expect(pte.effectiveFlags(lo, hi, link(LpaeDescriptor.AP_TABLE_NO_WRITE))).toBe(READ | USER | EXECUTE);
    // No PL0 access below: a kernel page that PXN (written for user pages) keeps from executing.
    expect(pte.effectiveFlags(lo, hi, link(LpaeDescriptor.AP_TABLE_NO_PL0))).toBe(RW);
    expect(pte.effectiveFlags(lo, hi, link(LpaeDescriptor.XN_TABLE))).toBe(RW | USER);
    expect(pte.tableRestrictions(0, 0xffff_ffff)).toBe(0x7800_0000);
  });

  it('round trip: every 40-bit frame and accepted flag set; setFrame keeps every attribute', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 28 - 1 }), flagSets, fc.boolean(), (frame, f, huge) => {
        pte.encodePage(frame, f, huge);
        expect(pte.frame(pte.lo, pte.hi)).toBe(frame);
        expect(pte.decodeFlags(pte.lo, pte.hi)).toBe(f);
        expect(pte.huge(pte.lo, pte.hi)).toBe(huge);
        const [lo, hi] = [pte.lo, pte.hi];
        pte.setFrame(lo, hi, 2 ** 28 - 1 - frame);
        expect(pte.frame(pte.lo, pte.hi)).toBe(2 ** 28 - 1 - frame);
        expect([pte.lo & 0xfff, pte.hi & ~0xff]).toEqual([lo & 0xfff, hi & ~0xff]);
      }),
    );
  });
});

describe('format metadata', () => {
  it('short descriptors: 4096 >> N first-level entries of 4 bytes, 256-entry second level', () => {
    expect(ARMV7_SHORT_FORMAT.levels.map((l) => [l.entries, l.entryBytes, l.vaShift, l.vaBits])).toEqual([
      [4096, 4, 20, 12],
      [256, 4, 12, 8],
    ]);
    expect(ARMV7_SHORT_FORMAT.levels[0].leafSizes).toEqual([0x10_0000, 0x100_0000]);
    expect(ARMV7_SHORT_FORMAT.levels[1].leafSizes).toEqual([0x1000, 0x1_0000]);
    for (let n = 0; n <= 7; n++) {
      const f = armV7ShortFormat(n);
      expect([f.rootEntries, f.rootAlign, f.vaBits]).toEqual([4096 >> n, 0x4000 >> n, 32 - n]);
    }
    expect(() => armV7ShortFormat(8)).toThrow(RangeError);
  });

  it('LPAE: three levels of 8-byte entries; T0SZ 2..7 start at level 2', () => {
    expect(ARMV7_LPAE_FORMAT.levels.map((l) => [l.name, l.entries, l.vaShift, l.leafSizes])).toEqual([
      ['level 1', 4, 30, [0x4000_0000]],
      ['level 2', 512, 21, [0x20_0000]],
      ['level 3', 512, 12, [0x1000]],
    ]);
    expect(ARMV7_LPAE_FORMAT.paBits).toBe(40);
    expect([armLpaeFormat(1).rootEntries, armLpaeFormat(1).levels.length]).toEqual([2, 3]);
    expect([armLpaeFormat(2).rootEntries, armLpaeFormat(2).levels.length]).toEqual([512, 2]);
    expect([armLpaeFormat(7).rootEntries, armLpaeFormat(7).rootAlign]).toEqual([16, 128]);
  });
});
