// RiscvMmu on an RV32 hart (xlen: 32) with Sv32 (privileged spec: "Sv32:
// Page-Based 32-bit Virtual-Memory Systems", "Virtual Address Translation
// Process" with LEVELS = 2, PTESIZE = 4): unit vectors from the PTE and satp
// layouts, and a property test against the reference model of sv32-model.ts
// over random raw tables.
import { Access, PageSize, RamHandler } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RiscvMmu, type RiscvMmuOptions, Satp32Mode, satp32 } from '../src/index.js';
import { modelSv32, type Sv32State } from './sv32-model.js';

const V = 0x1;
const R = 0x2;
const W = 0x4;
const X = 0x8;
const U = 0x10;
const A = 0x40;
const D = 0x80;
const SUM = 1 << 18;

const pte = (ppn: number, bits: number) => ((ppn << 10) | bits) >>> 0;

/**
 * Root at 0x1000: entry 0 -> the table at 0x2000 (entry 5: 0x5000 RWX A D; entry 6: 0x6000 user R, no A/D;
 * entry 7: a pointer with U set, reserved); entry 1 a 4 MiB megapage at PA 0x3_0040_0000 (34 bits); entry 2 a
 * misaligned megapage; entry 1023 -> the table at 0x3000 whose entry 1023 maps the top page to 0xf000.
 */
function sv32Ram(): RamHandler {
  const ram = new RamHandler({ size: 0x1_0000 });
  const put = (pa: number, v: number) => {
    ram.words[pa / 4] = v;
  };
  put(0x1000, pte(2, V));
  put(0x1004, pte(0x30_0400, V | R | W | X | A | D));
  put(0x1008, pte(0x30_0401, V | R | A));
  put(0x1000 + 1023 * 4, pte(3, V));
  put(0x2000 + 5 * 4, pte(5, V | R | W | X | A | D));
  put(0x2000 + 6 * 4, pte(6, V | R | U));
  put(0x2000 + 7 * 4, pte(7, V | U));
  put(0x3000 + 1023 * 4, pte(0xf, V | R | W | A | D));
  return ram;
}

const rv32 = (ram: RamHandler, o: RiscvMmuOptions = {}) =>
  new RiscvMmu(ram, { xlen: 32, satp: satp32(Satp32Mode.Sv32, 5, 0x1000), priv: 1, svadu: true, ...o });

describe('satp32', () => {
  it('packs MODE [31], ASID [30:22] and PPN [21:0], and rejects what RV32 cannot hold', () => {
    expect(satp32(Satp32Mode.Sv32, 5, 0x1000)).toBe(0x8140_0001);
    expect(satp32(Satp32Mode.Sv32, 511, 0x3_ffff_f000n)).toBe(0xffff_ffff);
    expect(satp32(Satp32Mode.Bare, 0, 0)).toBe(0);
    expect(() => satp32(Satp32Mode.Sv32, 512, 0)).toThrow(RangeError);
    expect(() => satp32(Satp32Mode.Sv32, 0, 0x4_0000_0000n)).toThrow(RangeError);
    expect(() => satp32(Satp32Mode.Sv32, 0, 0x1234)).toThrow(RangeError);
    expect(() => satp32(Satp32Mode.Bare, 1, 0)).toThrow(RangeError);
  });
});

describe('RiscvMmu with xlen: 32 (Sv32)', () => {
  it('decodes the RV32 satp: MODE 1, a 9-bit ASID, a 22-bit PPN', () => {
    const mmu = rv32(sv32Ram());
    expect(mmu.mode).toBe(1);
    expect(mmu.asid).toBe(5);
    expect(mmu.satp).toBe(0x8140_0001n);
    expect(rv32(sv32Ram(), { asidBits: 4, satp: satp32(1, 0x1f5, 0x1000) }).asid).toBe(5);
  });

  it('walks 4-byte PTEs: a 4 KiB page, a 4 MiB megapage at a 34-bit PA, the top of the space', () => {
    const mmu = rv32(sv32Ram());
    expect(mmu.translate(0x5123, Access.Read)).toMatchObject({ paddr: 0x5123, size: PageSize.Size4K });
    expect(mmu.translate(0x7f_1234, Access.Write)).toMatchObject({ paddr: 0x3_007f_1234, size: PageSize.Size4M });
    expect(mmu.lastSize).toBe(PageSize.Size4M);
    expect(mmu.translatePa(0xffff_f008, Access.Write)).toBe(0xf008);
    expect(mmu.translatePa(-0x1000 + 8, Access.Read)).toBe(0xf008);
    // An RV32 VA is 32 bits, zero- or sign-extended: anything else is a page fault, as a non-canonical VA on RV64.
    expect(mmu.translatePaHalves(0xdead, 0x5123, Access.Read)).toBe(-1);
    expect(mmu.lastFault).toEqual({ cause: 13, tval: 0xdead_0000_5123 });
    expect(mmu.translate(0x1_0000_5000n, Access.Write)).toEqual({ fault: { cause: 15, tval: 0x1_0000_5000 } });
    expect(mmu.debugTranslate(0x1_0000_5000n).stop).toBe('VA is not a 32-bit address (nor one sign-extended)');
  });

  it('raises the spec’s faults: misaligned megapage, reserved U on a pointer, U/S, W without A/D under Svade', () => {
    const ram = sv32Ram();
    const mmu = rv32(ram);
    expect(mmu.translate(0x80_0000, Access.Read)).toEqual({ fault: { cause: 13, tval: 0x80_0000 } });
    expect(mmu.debugTranslate(0x80_0000).stop).toBe('misaligned superpage at level 1 (entry 0x1008)');
    expect(mmu.translate(0x7000, Access.Read)).toEqual({ fault: { cause: 13, tval: 0x7000 } });
    expect(mmu.translate(0x6000, Access.Read)).toEqual({ fault: { cause: 13, tval: 0x6000 } }); // S-mode, U page, SUM = 0
    mmu.mstatus = SUM;
    expect(mmu.translatePa(0x6010, Access.Read)).toBe(0x6010);
    expect(mmu.translate(0x6010, Access.Execute)).toEqual({ fault: { cause: 12, tval: 0x6010 } });
    mmu.priv = 0;
    expect(mmu.translate(0x5000, Access.Read)).toEqual({ fault: { cause: 13, tval: 0x5000 } });
    expect(mmu.translate(0x6000, Access.Write)).toEqual({ fault: { cause: 15, tval: 0x6000 } });
    const svade = rv32(sv32Ram(), { svadu: false, priv: 0 });
    expect(svade.translate(0x6000, Access.Read)).toEqual({ fault: { cause: 13, tval: 0x6000 } });
    expect(svade.debugTranslate(0x6000).stop).toBe('A=0 (Svade) at level 0 (entry 0x2018)');
  });

  it('sets A and D with a 32-bit compare-and-swap, leaving the neighbour entry alone', () => {
    const ram = sv32Ram();
    const mmu = rv32(ram, { priv: 0 });
    expect(mmu.translatePa(0x6004, Access.Read)).toBe(0x6004);
    expect(ram.words[0x2018 / 4]).toBe(pte(6, V | R | U | A));
    expect(ram.words[0x201c / 4]).toBe(pte(7, V | U));
    const d = mmu.debugTranslate(0x6000, Access.Read);
    expect(d.steps).toEqual([
      { level: 1, index: 0, entryPaddr: 0x1000, entry: BigInt(pte(2, V)) },
      { level: 0, index: 6, entryPaddr: 0x2018, entry: BigInt(pte(6, V | R | U | A)) },
    ]);
  });

  it('an access fault for a PTE outside RAM; Bare and M-mode pass the 32-bit VA through', () => {
    const ram = sv32Ram();
    ram.words[0x1000 / 4 + 3] = pte(0x1000, V);
    const mmu = rv32(ram);
    expect(mmu.translate(0xc0_0000, Access.Write)).toEqual({ fault: { cause: 7, tval: 0xc0_0000 } });
    mmu.priv = 3;
    expect(mmu.translatePaHalves(0, 0x1234, Access.Read)).toBe(0x1234);
    expect(mmu.translatePaHalves(0xffff_ffff, 0x8000_1234, Access.Read)).toBe(0x8000_1234);
    mmu.satp = 0;
    mmu.priv = 1;
    expect(mmu.translatePa(0xffff_0000, Access.Read)).toBe(0xffff_0000);
  });

  it('SFENCE.VMA of an address in a megapage drops all 4 MiB of it', () => {
    const ram = sv32Ram();
    const mmu = rv32(ram);
    expect(mmu.translatePa(0x40_1000, Access.Read)).toBe(0x3_0040_1000);
    expect(mmu.translatePa(0x70_1000, Access.Read)).toBe(0x3_0070_1000);
    ram.words[0x1004 / 4] = pte(0x40_0 * 2, V | R | A);
    expect(mmu.translatePa(0x70_1000, Access.Read)).toBe(0x3_0070_1000);
    mmu.sfenceVma(0x40_0000);
    expect(mmu.translatePa(0x70_1000, Access.Read)).toBe(0x0b0_1000);
  });

  it('rejects what an RV32 hart cannot hold', () => {
    const ram = sv32Ram();
    expect(() => rv32(ram, { satp: 0x1_0000_0000 })).toThrow(/32-bit CSR/);
    expect(() => rv32(ram, { svnapot: true })).toThrow(/RV32/);
    expect(() => rv32(ram, { svpbmt: true })).toThrow(/RV32/);
    expect(() => rv32(ram, { maxMode: 'Sv39' })).toThrow(/RV32/);
    expect(() => rv32(ram, { asidBits: 10 })).toThrow(/0\.\.9/);
    expect(() => new RiscvMmu(ram, { xlen: 48 as 32 })).toThrow(/xlen/);
    const mmu = rv32(ram);
    expect(() => {
      mmu.mstatus = 1n << 36n;
    }).toThrow(RangeError);
    mmu.menvcfg = 3n << 61n; // ADUE and PBMTE: PBMTE is read-only zero on RV32
    expect(mmu.menvcfg).toBe(1n << 61n);
  });
});

// ------------------------------------------------------------------ properties

const FRAMES = 8;
const SLOTS = [0, 1, 2, 1023];
const bitsArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x3ff }).map((b) => b | V) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x3ff }) },
);
const entryArb = fc
  .record({
    ppn: fc.oneof(fc.integer({ min: 0, max: FRAMES - 1 }), fc.constantFrom(0x30_0400, 0x30_0401, 0x3f_fc00, 0x1000)),
    bits: bitsArb,
  })
  .map(({ ppn, bits }) => pte(ppn, bits));
const vaArb = fc
  .record({ vpn1: fc.constantFrom(0, 1, 2, 1023), vpn0: fc.constantFrom(0, 1, 2, 1023, 77), off: fc.nat(0xfff) })
  .map(({ vpn1, vpn0, off }) => ((vpn1 << 22) | (vpn0 << 12) | off) >>> 0);
const stateArb = fc.record({
  root: fc.integer({ min: 0, max: FRAMES - 1 }),
  priv: fc.constantFrom<0 | 1>(0, 1),
  sum: fc.boolean(),
  mxr: fc.boolean(),
  svadu: fc.boolean(),
});

describe('RiscvMmu (Sv32) against the spec’s translation process (random raw tables)', () => {
  it('gives the model’s PA, size or cause and writes the same A/D bits, TLB hits included', () => {
    const seen = { ok: 0, mega: 0, fault: 0 };
    fc.assert(
      fc.property(
        fc.array(entryArb, { minLength: FRAMES * SLOTS.length, maxLength: FRAMES * SLOTS.length }),
        stateArb,
        fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc.record({ va: vaArb, access: fc.constantFrom(Access.Read, Access.Write, Access.Execute) }),
            },
            { weight: 1, arbitrary: fc.record({ patch: stateArb }) },
          ),
          { minLength: 1, maxLength: 20 },
        ),
        (entries, s0, ops) => {
          const fill = () => {
            const ram = new RamHandler({ size: FRAMES * 4096 });
            let i = 0;
            for (let f = 0; f < FRAMES; f++) for (const slot of SLOTS) ram.words[f * 1024 + slot] = entries[i++];
            return ram;
          };
          const ram = fill();
          const ref = fill();
          const regs = (s: Sv32State): RiscvMmuOptions => ({
            xlen: 32,
            satp: satp32(1, 0, s.root * 4096),
            mstatus: (s.sum ? SUM : 0) | (s.mxr ? 1 << 19 : 0),
            priv: s.priv,
            svadu: s.svadu,
          });
          let s: Sv32State = s0;
          const mmu = new RiscvMmu(ram, regs(s));
          for (const o of ops) {
            if ('patch' in o) {
              // A new address space and privilege: fence everything, as the guest would.
              s = o.patch;
              const r = regs(s);
              mmu.satp = r.satp as number;
              mmu.mstatus = r.mstatus as number;
              mmu.priv = s.priv;
              mmu.menvcfg = s.svadu ? 1n << 61n : 0n;
              mmu.sfenceVma();
              continue;
            }
            const want = modelSv32(ref, s, o.va, o.access, true);
            const got = mmu.translate(o.va, o.access);
            if (want.ok) {
              seen.ok++;
              if (want.size > 4096) seen.mega++;
              expect(got).toMatchObject({ paddr: want.pa, size: want.size });
            } else {
              seen.fault++;
              expect(got).toEqual({ fault: { cause: want.cause, tval: o.va } });
            }
            expect(Array.from(ram.words)).toEqual(Array.from(ref.words));
            const d = mmu.debugTranslate(o.va, o.access);
            const r = d.result;
            expect(r.fault !== undefined ? r.fault.cause : r.paddr).toBe(want.ok ? want.pa : want.cause);
            expect(Array.from(ram.words)).toEqual(Array.from(ref.words));
          }
        },
      ),
      { numRuns: 250 },
    );
    expect(seen.ok).toBeGreaterThan(40);
    expect(seen.mega).toBeGreaterThan(5);
    expect(seen.fault).toBeGreaterThan(40);
  });
});
