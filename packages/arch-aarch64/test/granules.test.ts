// The 16 KiB and 64 KiB translation granules (Arm ARM D8.2.7 "translation granules", D8.3 descriptors):
// TCR_EL1.TG0 (00 4K, 01 64K, 10 16K) and TG1 (01 16K, 10 4K, 11 64K), the start level from TnSZ, the block
// levels of each granule, faults with their level, TLBI VA of a whole 64 KiB page or 512 MiB block, and a walk
// model written from the manual checked against random raw descriptors.
import { Access, PageSize, RamHandler } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A64FaultKind, A64Mmu } from '../src/index.js';

const BASE = 0x4000_0000;
const IPS48 = 0b101n << 32n;
const TG0 = { 12: 0n, 14: 2n, 16: 1n } as const;
const TG1 = { 12: 2n, 14: 1n, 16: 3n } as const;
type Granule = keyof typeof TG0;
const PAGE = 0x713n; // AF, inner shareable, AttrIndx 4, AP = 00, page (bits 1:0 = 11)
const BLOCK = 0x711n;

function tcr0(g: Granule, tsz: number): bigint {
  return BigInt(tsz) | (TG0[g] << 14n) | IPS48;
}

function ram(size = 0x10_0000): RamHandler {
  return new RamHandler({ base: BASE, size });
}

function mmu(h: RamHandler, tcr: bigint, extra: { ttbr1?: number; ttst?: boolean; tlbEntries?: number } = {}): A64Mmu {
  return new A64Mmu(h, { ttbr0: BASE, ttbr1: extra.ttbr1 ?? BASE, tcr, sctlr: 1, el: 1, ...extra });
}

/** The fault (kind, level) or the PA and size of a load. */
function load(m: A64Mmu, va: number | bigint) {
  const r = m.translate(va, Access.Read);
  return r.fault ? { kind: r.fault.kind, level: r.fault.level, esr: r.fault.esr } : { pa: r.paddr, size: r.size };
}

// 64 KiB granule, T0SZ = 16: start level 1, L1 index VA[47:42], L2 VA[41:29], L3 VA[28:16].
function tables64(): RamHandler {
  const h = ram();
  h.write64(BASE, BigInt(BASE + 0x1_0000) | 3n); // L1[0] -> L2
  h.write64(BASE + 8, 0x4_0000_0000n | BLOCK); // L1[1]: a block at level 1 (not allowed without FEAT_LPA)
  h.write64(BASE + 0x1_0000, BigInt(BASE + 0x2_0000) | 3n); // L2[0] -> L3
  h.write64(BASE + 0x1_0008, 0xa000_0000n | BLOCK); // L2[1]: 512 MiB block
  h.write64(BASE + 0x2_0008, 0x8001_0000n | PAGE); // L3[1]: 64 KiB page
  h.write64(BASE + 0x2_0018, 0x8003_0000n | 0x313n); // L3[3]: AF clear
  return h;
}

// 16 KiB granule, T0SZ = 16: start level 0 (2 entries), L1 VA[46:36], L2 VA[35:25], L3 VA[24:14].
function tables16(): RamHandler {
  const h = ram();
  h.write64(BASE, BigInt(BASE + 0x4000) | 3n); // L0[0] -> L1
  h.write64(BASE + 0x4000, BigInt(BASE + 0x8000) | 3n); // L1[0] -> L2
  h.write64(BASE + 0x4008, 0x10_0000_0000n | BLOCK); // L1[1]: a block at level 1 (not allowed without FEAT_LPA2)
  h.write64(BASE + 0x8000, BigInt(BASE + 0xc000) | 3n); // L2[0] -> L3
  h.write64(BASE + 0x8008, 0x8200_0000n | BLOCK); // L2[1]: 32 MiB block
  h.write64(BASE + 0xc008, 0x8000_4000n | PAGE); // L3[1]: 16 KiB page
  return h;
}

describe('64 KiB granule (TG0 = 01)', () => {
  const m = () => mmu(tables64(), tcr0(16, 16));
  it('maps a 64 KiB page and a 512 MiB block', () => {
    const a = m();
    expect(load(a, 0x1_2345)).toEqual({ pa: 0x8001_2345, size: PageSize.Size64K });
    expect(load(a, 0x1_fffc)).toEqual({ pa: 0x8001_fffc, size: PageSize.Size64K });
    expect(load(a, 0x2123_4567)).toEqual({ pa: 0xa123_4567, size: PageSize.Size512M });
    // lastSize after a micro-TLB / TLB hit
    expect(a.translatePa(0x1_2345, Access.Read)).toBe(0x8001_2345);
    expect(a.lastSize).toBe(PageSize.Size64K);
  });
  it('faults at levels 1, 2 and 3 with the level in the FSC', () => {
    const a = m();
    expect(load(a, 0x2_0000)).toMatchObject({ kind: A64FaultKind.Translation, level: 3, esr: 0x9600_0007 });
    expect(load(a, 0x3_0000)).toMatchObject({ kind: A64FaultKind.AccessFlag, level: 3, esr: 0x9600_000b });
    expect(load(a, 0x4000_0000)).toMatchObject({ kind: A64FaultKind.Translation, level: 2, esr: 0x9600_0006 });
    expect(load(a, 2 ** 42)).toMatchObject({ kind: A64FaultKind.Translation, level: 1, esr: 0x9600_0005 });
    expect(load(a, 2 * 2 ** 42)).toMatchObject({ kind: A64FaultKind.Translation, level: 1 });
    expect(a.far).toBe(2 * 2 ** 42);
  });
  it('TTBR1 with TG1 = 11 (64 KiB) walks the same way', () => {
    const a = mmu(tables64(), 16n | (16n << 16n) | (TG1[16] << 30n) | (1n << 14n) | IPS48);
    expect(load(a, 0xffff_0000_0001_2345n)).toEqual({ pa: 0x8001_2345, size: PageSize.Size64K });
  });
  it('TLBI VAE1 of any 4 KiB piece drops the whole 64 KiB page and the whole 512 MiB block', () => {
    const h = tables64();
    const a = mmu(h, tcr0(16, 16), { tlbEntries: 256 });
    for (const va of [0x1_0000, 0x1_f000, 0x2000_0000, 0x3fff_f000]) expect(load(a, va)).toHaveProperty('pa');
    h.write64(BASE + 0x2_0008, 0n);
    h.write64(BASE + 0x1_0008, 0n);
    // Still cached until invalidated.
    expect(load(a, 0x1_f000)).toHaveProperty('pa');
    a.tlbiVae1(0x1_8000, 0);
    a.tlbiVae1(0x2800_0000, 0);
    expect(load(a, 0x1_0000)).toMatchObject({ level: 3 });
    expect(load(a, 0x1_f000)).toMatchObject({ level: 3 });
    expect(load(a, 0x2000_0000)).toMatchObject({ level: 2 });
    expect(load(a, 0x3fff_f000)).toMatchObject({ level: 2 });
  });
});

describe('16 KiB granule (TG0 = 10)', () => {
  const m = () => mmu(tables16(), tcr0(14, 16));
  it('maps a 16 KiB page and a 32 MiB block', () => {
    const a = m();
    expect(load(a, 0x4123)).toEqual({ pa: 0x8000_4123, size: PageSize.Size16K });
    expect(load(a, 0x7ffc)).toEqual({ pa: 0x8000_7ffc, size: PageSize.Size16K });
    expect(load(a, 0x212_3456)).toEqual({ pa: 0x8212_3456, size: PageSize.Size32M });
    expect(a.debugTranslate(0x212_3456).leafSize).toBe(PageSize.Size32M);
  });
  it('faults at levels 0, 1, 2 and 3', () => {
    const a = m();
    expect(load(a, 0x8000)).toMatchObject({ kind: A64FaultKind.Translation, level: 3, esr: 0x9600_0007 });
    expect(load(a, 0x400_0000)).toMatchObject({ kind: A64FaultKind.Translation, level: 2, esr: 0x9600_0006 });
    expect(load(a, 2 ** 36)).toMatchObject({ kind: A64FaultKind.Translation, level: 1, esr: 0x9600_0005 });
    expect(load(a, 2 ** 47)).toMatchObject({ kind: A64FaultKind.Translation, level: 0, esr: 0x9600_0004 });
  });
  it('TTBR1 with TG1 = 01 (16 KiB)', () => {
    const a = mmu(tables16(), 16n | (16n << 16n) | (TG1[14] << 30n) | IPS48);
    expect(load(a, 0xffff_0000_0000_4123n)).toEqual({ pa: 0x8000_4123, size: PageSize.Size16K });
  });
});

describe('start level from TnSZ (Arm ARM D8.2.7; an empty start table faults at the start level)', () => {
  // [granule, TnSZ, start level]; TnSZ outside 16..39 is a level-0 Translation fault.
  const cases: [Granule, number, number][] = [
    [12, 16, 0],
    [12, 24, 0],
    [12, 25, 1],
    [12, 33, 1],
    [12, 34, 2],
    [12, 39, 2],
    [14, 16, 0],
    [14, 17, 1],
    [14, 27, 1],
    [14, 28, 2],
    [14, 38, 2],
    [14, 39, 3],
    [16, 16, 1],
    [16, 21, 1],
    [16, 22, 2],
    [16, 34, 2],
    [16, 35, 3],
    [16, 39, 3],
    [16, 40, 0],
    [14, 15, 0],
  ];
  it.each(cases)('granule 2^%i, TnSZ %i: level %i', (g, tsz, level) => {
    const a = mmu(ram(), tcr0(g, tsz));
    expect(load(a, 0)).toMatchObject({ kind: A64FaultKind.Translation, level });
  });
  it('with FEAT_TTST: TnSZ up to 48 (47 with 64 KiB)', () => {
    expect(load(mmu(ram(), tcr0(14, 48), { ttst: true }), 0)).toMatchObject({ level: 3 });
    expect(load(mmu(ram(), tcr0(16, 47), { ttst: true }), 0)).toMatchObject({ level: 3 });
    expect(load(mmu(ram(), tcr0(16, 48), { ttst: true }), 0)).toMatchObject({ level: 0 });
    expect(load(mmu(ram(), tcr0(12, 48), { ttst: true }), 0)).toMatchObject({ level: 3 });
  });
});

// ---- A reference walk written from the manual (D8.2, D8.3), in bigints, over the same RAM.
type ModelResult = { pa: bigint; bits: number } | { kind: number; level: number };

function modelWalk(h: RamHandler, g: Granule, tsz: number, va: bigint): ModelResult {
  const input = 64 - tsz;
  const stride = g - 3;
  const start = 4 - Math.floor((input - 4) / stride);
  let table = BigInt(BASE);
  for (let level = start; ; level++) {
    const sh = g + stride * (3 - level);
    const width = level === start ? input - sh : stride;
    const addr = table + ((va >> BigInt(sh)) & ((1n << BigInt(width)) - 1n)) * 8n;
    if (addr < BigInt(BASE) || addr >= BigInt(BASE + 0x10_0000))
      return { kind: A64FaultKind.ExternalAbortOnWalk, level };
    const d = h.read64(Number(addr));
    if ((d & 1n) === 0n) return { kind: A64FaultKind.Translation, level };
    const isTableOrPage = (d & 2n) !== 0n;
    if (!isTableOrPage && (level === 3 || level < (g === 12 ? 1 : 2))) return { kind: A64FaultKind.Translation, level };
    const oa = d & ((1n << 48n) - 1n) & ~((1n << BigInt(g)) - 1n);
    if (isTableOrPage && level < 3) {
      table = oa;
      continue;
    }
    if ((d & 0x400n) === 0n) return { kind: A64FaultKind.AccessFlag, level };
    const off = (1n << BigInt(sh)) - 1n;
    return { pa: (oa & ~off) | (va & off), bits: sh };
  }
}

const granuleArb = fc.constantFrom<Granule>(12, 14, 16);
// A descriptor: a table into RAM (or just past it), a leaf with a random OA and low attributes, or raw bits.
const descArb = fc.oneof(
  fc.record({ t: fc.constant(0), slot: fc.integer({ min: 0, max: 17 }), sub: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ t: fc.constant(1), oa: fc.bigInt(0n, (1n << 36n) - 1n), low: fc.integer({ min: 0, max: 0x3ff }) }),
  fc.record({ t: fc.constant(2), raw: fc.bigInt(0n, (1n << 64n) - 1n) }),
);

describe('the walk of every granule agrees with a model from the manual', () => {
  it('random TnSZ, VA and raw descriptors along its path', () => {
    const leaves: Record<number, number> = { 12: 0, 14: 0, 16: 0 };
    fc.assert(
      fc.property(
        granuleArb,
        fc.integer({ min: 16, max: 39 }),
        fc.bigInt(0n, (1n << 48n) - 1n),
        fc.array(descArb, { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        (g, tsz, va0, descs, tlb) => {
          const input = 64 - tsz;
          const va = va0 & ((1n << BigInt(input)) - 1n);
          const h = ram();
          const stride = g - 3;
          const start = 4 - Math.floor((input - 4) / stride);
          // Lay the descriptors along the VA's path (a later one may overwrite an earlier one: the model reads RAM).
          let table = BigInt(BASE);
          for (let level = start; level <= 3; level++) {
            const sh = g + stride * (3 - level);
            const width = level === start ? input - sh : stride;
            const addr = table + ((va >> BigInt(sh)) & ((1n << BigInt(width)) - 1n)) * 8n;
            if (addr < BigInt(BASE) || addr >= BigInt(BASE + 0x10_0000)) break;
            const x = descs[level];
            const d =
              x.t === 0
                ? BigInt(BASE + x.slot * 0x1_0000 + ((x.sub << 12) & ~((1 << g) - 1) & 0xffff)) | 3n
                : x.t === 1
                  ? (x.oa << 12n) | (BigInt(x.low) << 2n) | 1n | (level === 3 ? 2n : 0n)
                  : x.raw;
            h.write64(Number(addr), d);
            if ((d & 3n) !== 3n) break;
            table = d & ((1n << 48n) - 1n) & ~((1n << BigInt(g)) - 1n);
          }
          const want = modelWalk(h, g, tsz, va);
          if ('pa' in want) leaves[g]++;
          const a = mmu(h, tcr0(g, tsz), { tlbEntries: tlb ? 64 : 0 });
          for (let i = 0; i < 2; i++) {
            const r = a.translate(va, Access.Read);
            if ('pa' in want) {
              expect(r.fault).toBeUndefined();
              if (r.fault === undefined) {
                expect(BigInt(r.paddr)).toBe(want.pa);
                expect(r.size).toBe(2 ** want.bits);
              }
            } else expect({ kind: r.fault?.kind, level: r.fault?.level }).toEqual(want);
          }
        },
      ),
      { numRuns: 400 },
    );
    // The runs reached leaves of every granule, not only faults.
    expect(Math.min(leaves[12], leaves[14], leaves[16])).toBeGreaterThan(5);
  });
});
