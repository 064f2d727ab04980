/** The RV64 entry layout from the privileged spec, bit by bit, and the codec's edges. */
import { MappingFlags } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import {
  PTE_A,
  PTE_D,
  PTE_G,
  PTE_N_HI,
  PTE_PBMT_IO_HI,
  PTE_PBMT_NC_HI,
  PTE_PPN_SHIFT,
  PTE_R,
  PTE_U,
  PTE_V,
  PTE_W,
  PTE_X,
  RV64_PTE,
  RV64_PTE_SVPBMT,
  RV64_PTE_XUANTIE,
  Rv64PTE,
  rv64PTE,
  XUANTIE_B_HI,
  XUANTIE_C_HI,
  XUANTIE_DEVICE_HI,
  XUANTIE_NORMAL_HI,
  XUANTIE_SH_HI,
  XUANTIE_SO_HI,
} from '../src/index.js';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
const bit = (n: number): bigint => 1n << BigInt(n);
const halves = (e: bigint): [number, number] => [Number(e & 0xffff_ffffn), Number(e >> 32n)];

describe('bit positions (privileged spec, Sv39 PTE format)', () => {
  it('names V R W X U G A D at bits 0..7 and the PPN at bit 10', () => {
    expect([PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_G, PTE_A, PTE_D]).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => 1 << n),
    );
    expect(PTE_PPN_SHIFT).toBe(10);
  });

  it('names the high bits: PBMT 61..62, N 63, XuanTie SH 60, B 61, C 62, SO 63', () => {
    const entryBit = (hiMask: number) => BigInt(hiMask >>> 0) << 32n;
    expect(entryBit(PTE_PBMT_NC_HI)).toBe(bit(61));
    expect(entryBit(PTE_PBMT_IO_HI)).toBe(bit(62));
    expect(entryBit(PTE_N_HI)).toBe(bit(63));
    expect(entryBit(XUANTIE_SH_HI)).toBe(bit(60));
    expect(entryBit(XUANTIE_B_HI)).toBe(bit(61));
    expect(entryBit(XUANTIE_C_HI)).toBe(bit(62));
    expect(entryBit(XUANTIE_SO_HI)).toBe(bit(63));
    expect(entryBit(XUANTIE_DEVICE_HI)).toBe(0xa000_0000_0000_0000n);
    expect(entryBit(XUANTIE_NORMAL_HI)).toBe(0x7000_0000_0000_0000n);
  });

  it('writes each flag at its bit, always with V, A and D, never G', () => {
    const VAD = bit(0) | bit(6) | bit(7);
    expect(RV64_PTE.newPage(0, READ, false)).toBe(VAD | bit(1));
    expect(RV64_PTE.newPage(0, READ | WRITE, false)).toBe(VAD | bit(1) | bit(2));
    expect(RV64_PTE.newPage(0, EXECUTE, false)).toBe(VAD | bit(3));
    expect(RV64_PTE.newPage(0, READ | USER, false)).toBe(VAD | bit(1) | bit(4));
    expect(RV64_PTE.newPage(0, READ | WRITE | EXECUTE | USER, true)).toBe(0xdfn);
  });

  it('writes nothing but the PPN for no flags (upstream 0.6.1; 0.4.0 wrote A|D)', () => {
    expect(RV64_PTE.newPage(0x1000, 0, false)).toBe(0x400n);
    expect(RV64_PTE.isPresent(0x400n)).toBe(false);
    expect(RV64_PTE.isUnused(0x400n)).toBe(false);
  });

  it('reads a table link as V with R, W and X clear, whatever A, D and U hold', () => {
    expect(RV64_PTE.newTable(0x8000_1000)).toBe((0x8000_1000n >> 2n) | 1n);
    expect(RV64_PTE.table(PTE_V, 0)).toBe(true);
    expect(RV64_PTE.table(PTE_V | PTE_A | PTE_D | PTE_U, 0)).toBe(true);
    for (const b of [PTE_R, PTE_W, PTE_X]) expect(RV64_PTE.table(PTE_V | b, 0)).toBe(false);
    expect(RV64_PTE.table(0, 0)).toBe(false);
    expect(RV64_PTE.present(0, 0xffff_ffff)).toBe(false);
  });

  it('calls R or X huge, as upstream, and nothing else', () => {
    expect(RV64_PTE.huge(PTE_V | PTE_R, 0)).toBe(true);
    expect(RV64_PTE.huge(PTE_V | PTE_X, 0)).toBe(true);
    expect(RV64_PTE.huge(PTE_V | PTE_W, 0)).toBe(false);
    expect(RV64_PTE.huge(PTE_V, 0)).toBe(false);
  });

  it('decodes nothing from a non-valid entry', () => {
    expect(RV64_PTE.decodeFlags(0xfe, 0)).toBe(0);
    expect(RV64_PTE_SVPBMT.decodeFlags(0xfe, PTE_PBMT_IO_HI)).toBe(0);
  });
});

describe('address field', () => {
  const FRAME_MAX = 2 ** 44 - 1;
  const cases: [string, bigint][] = [
    ['frame 0', 0n],
    ['4 KiB', 0x1000n],
    ['2^32 - 4 KiB', 0xffff_f000n],
    ['2^32', 1n << 32n],
    ['2^42 (PPN bit 30, in the high word)', 1n << 42n],
    ['2^53 - 4 KiB (largest safe)', (1n << 53n) - 0x1000n],
    ['2^53 (a bigint PA)', 1n << 53n],
    ['2^55 + 2^33 + 4 KiB', (1n << 55n) + (1n << 33n) + 0x1000n],
    ['the highest frame of the 56-bit PA', BigInt(FRAME_MAX) << 12n],
  ];

  it.each(cases)('round-trips %s through leaves, links and setPaddr', (_name, addr) => {
    const expected = addr <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(addr) : addr;
    const ppnBits = addr >> 2n;
    for (const pte of [RV64_PTE, RV64_PTE_XUANTIE, RV64_PTE_SVPBMT]) {
      const leaf = pte.newPage(addr, READ | WRITE | DEVICE, true);
      expect(leaf & 0x003f_ffff_ffff_fc00n).toBe(ppnBits);
      expect(pte.paddr(leaf)).toBe(expected);
      expect(pte.paddr(pte.newTable(addr))).toBe(expected);
      const moved = pte.setPaddr(pte.newPage(0x1234_5000, READ | USER | DEVICE, false), addr);
      expect(pte.paddr(moved)).toBe(expected);
      expect(pte.flags(moved)).toBe(pte.flags(pte.newPage(0, READ | USER | DEVICE, false)));
      expect(moved >> 54n).toBe(pte.newPage(0, READ | USER | DEVICE, false) >> 54n);
    }
    const [lo, hi] = halves(RV64_PTE.newPage(addr, READ, false));
    expect(RV64_PTE.frame(lo, hi)).toBe(Number(addr >> 12n));
  });

  it('keeps bits 54..63 and 0..9 out of the frame', () => {
    const e = 0xffc0_0000_0000_03ffn;
    expect(RV64_PTE.paddr(e)).toBe(0);
    expect(RV64_PTE.paddr(e | (1n << 10n))).toBe(0x1000);
    const [lo, hi] = halves(e);
    expect(RV64_PTE.frame(lo, hi)).toBe(0);
  });

  it('setFrame changes only the PPN', () => {
    const e = 0xffc0_0000_0000_03ffn;
    expect(RV64_PTE.setPaddr(e, BigInt(FRAME_MAX) << 12n)).toBe(0xffff_ffff_ffff_ffffn);
    expect(RV64_PTE.setPaddr(0xffff_ffff_ffff_ffffn, 0)).toBe(e);
  });

  it('masks the PA to 56 bits, as upstream', () => {
    expect(RV64_PTE.newPage(1n << 56n, READ, false)).toBe(0xc3n);
  });

  it('ignores the in-page offset', () => {
    expect(RV64_PTE.newPage(0x8000_0fff, READ, false)).toBe(RV64_PTE.newPage(0x8000_0000, READ, false));
  });

  it('uses unsigned halves', () => {
    RV64_PTE_XUANTIE.encodePage(2 ** 44 - 1, READ | DEVICE, false);
    expect(RV64_PTE_XUANTIE.lo).toBe(0xffff_fcc3);
    expect(RV64_PTE_XUANTIE.hi).toBe(0xa03f_ffff);
  });
});

describe('memory types', () => {
  it('leaves DEVICE and UNCACHED out by default', () => {
    for (const f of [DEVICE, UNCACHED, DEVICE | UNCACHED]) {
      expect(RV64_PTE.newPage(0, READ | f, false)).toBe(0xc3n);
    }
  });

  it('writes XuanTie SO|B for DEVICE and C|B|SH otherwise, reading neither back', () => {
    expect(RV64_PTE_XUANTIE.newPage(0, READ | DEVICE, false)).toBe(0xa000_0000_0000_00c3n);
    expect(RV64_PTE_XUANTIE.newPage(0, READ | DEVICE | UNCACHED, false)).toBe(0xa000_0000_0000_00c3n);
    expect(RV64_PTE_XUANTIE.newPage(0, READ | UNCACHED, false)).toBe(0x7000_0000_0000_00c3n);
    expect(RV64_PTE_XUANTIE.newPage(0, READ, false)).toBe(0x7000_0000_0000_00c3n);
    expect(RV64_PTE_XUANTIE.newPage(0, 0, false)).toBe(0n);
    expect(RV64_PTE_XUANTIE.newTable(0x1000)).toBe(0x401n);
    expect(RV64_PTE_XUANTIE.flags(0xa000_0000_0000_00c3n)).toBe(READ);
  });

  it('writes Svpbmt IO for DEVICE, NC for UNCACHED, PMA otherwise, and reads them back', () => {
    expect(RV64_PTE_SVPBMT.newPage(0, READ | DEVICE, false)).toBe((2n << 61n) | 0xc3n);
    expect(RV64_PTE_SVPBMT.newPage(0, READ | DEVICE | UNCACHED, false)).toBe((2n << 61n) | 0xc3n);
    expect(RV64_PTE_SVPBMT.newPage(0, READ | UNCACHED, false)).toBe((1n << 61n) | 0xc3n);
    expect(RV64_PTE_SVPBMT.newPage(0, READ, false)).toBe(0xc3n);
    expect(RV64_PTE_SVPBMT.newTable(0x1000)).toBe(0x401n);
    expect(RV64_PTE_SVPBMT.flags((2n << 61n) | 0xc3n)).toBe(READ | DEVICE);
    expect(RV64_PTE_SVPBMT.flags((1n << 61n) | 0xc3n)).toBe(READ | UNCACHED);
    expect(RV64_PTE_SVPBMT.flags((3n << 61n) | 0xc3n)).toBe(READ);
  });

  it('picks the shared codec per option and refuses both options at once', () => {
    expect(rv64PTE()).toBe(RV64_PTE);
    expect(rv64PTE({ xuantie: true })).toBe(RV64_PTE_XUANTIE);
    expect(rv64PTE({ svpbmt: true })).toBe(RV64_PTE_SVPBMT);
    expect(() => rv64PTE({ xuantie: true, svpbmt: true })).toThrow(TypeError);
    expect(() => new Rv64PTE({ xuantie: true, svpbmt: true })).toThrow(TypeError);
    const own = new Rv64PTE({ xuantie: true });
    expect(own.newPage(0, READ | DEVICE, false)).toBe(RV64_PTE_XUANTIE.newPage(0, READ | DEVICE, false));
    expect([RV64_PTE.arch, RV64_PTE_XUANTIE.arch, RV64_PTE_SVPBMT.arch]).toEqual([
      'riscv64',
      'riscv64 (XuanTie C9xx)',
      'riscv64 (Svpbmt)',
    ]);
  });
});

describe('checkFlags', () => {
  it.each([
    ['READ', READ],
    ['EXECUTE (execute-only)', EXECUTE],
    ['READ|WRITE', READ | WRITE],
    ['READ|EXECUTE', READ | EXECUTE],
    ['READ|WRITE|EXECUTE|USER', READ | WRITE | EXECUTE | USER],
    ['EXECUTE|USER', EXECUTE | USER],
    ['READ|DEVICE', READ | DEVICE],
    ['READ|WRITE|UNCACHED', READ | WRITE | UNCACHED],
  ])('accepts %s', (_name, flags) => {
    for (const pte of [RV64_PTE, RV64_PTE_XUANTIE, RV64_PTE_SVPBMT]) expect(pte.checkFlags(flags)).toBeUndefined();
  });

  it.each([
    ['WRITE (R/W/X = 010, reserved)', WRITE, /reserves WRITE without READ/],
    ['WRITE|EXECUTE (110, reserved)', WRITE | EXECUTE, /reserves WRITE without READ/],
    ['WRITE|USER', WRITE | USER, /reserves WRITE without READ/],
    ['empty', 0, /READ or EXECUTE/],
    ['USER', USER, /READ or EXECUTE/],
    ['DEVICE|UNCACHED', DEVICE | UNCACHED, /READ or EXECUTE/],
  ])('refuses %s', (_name, flags, reason) => {
    for (const pte of [RV64_PTE, RV64_PTE_XUANTIE, RV64_PTE_SVPBMT]) expect(pte.checkFlags(flags)).toMatch(reason);
  });
});

describe('normalizeFlags', () => {
  it('drops DEVICE and UNCACHED without Svpbmt', () => {
    expect(RV64_PTE.normalizeFlags(READ | WRITE | DEVICE | UNCACHED)).toBe(READ | WRITE);
    expect(RV64_PTE_XUANTIE.normalizeFlags(READ | DEVICE)).toBe(READ);
  });

  it('keeps permissions one-to-one', () => {
    for (let f = 0; f < 16; f++) {
      const expected = f === 0 ? 0 : f;
      expect(RV64_PTE.normalizeFlags(f)).toBe(expected);
    }
  });

  it('keeps one memory type with Svpbmt, DEVICE winning', () => {
    expect(RV64_PTE_SVPBMT.normalizeFlags(READ | DEVICE)).toBe(READ | DEVICE);
    expect(RV64_PTE_SVPBMT.normalizeFlags(READ | UNCACHED)).toBe(READ | UNCACHED);
    expect(RV64_PTE_SVPBMT.normalizeFlags(READ | DEVICE | UNCACHED)).toBe(READ | DEVICE);
  });
});
