// X64Mmu in 32-bit paging (SDM Vol. 3A §4.3) and PAE paging (§4.4): unit
// vectors from the manual's entry formats, the PDPTE-register load rules
// (§4.4.1), and a property test against the reference model of
// x86-legacy-model.ts over random raw tables.
import { Access, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { X64Mmu, type X64MmuOptions } from '../src/index.js';
import { type LegacyState, loadModelPdptes, modelLegacy } from './x86-legacy-model.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U } = MappingFlags;
const PG_WP = 0x8001_0011;
const PSE = 0x10;
const PAE = 0x20;
const PGE = 0x80;
const SMEP = 0x10_0000;
const PKE = 0x40_0000;
const NXE = 0x800;

const w32 = (ram: RamHandler, pa: number, v: number) => {
  ram.words[pa / 4] = v >>> 0;
};

/**
 * 32-bit tables: PD at 0x1000; PDE 0 -> PT at 0x2000 (PTE 5 user RW 0x5000, PTE 6 user RO 0x6000, PTE 7
 * supervisor 0x7000); PDE 1 a 4 MiB page at PA 0x12_0040_0000 (PSE-36: PA[39:32] = 0x12 in bits 20:13);
 * PDE 1023 -> PT at 0x3000 whose PTE 1023 maps the top page to 0xf000.
 */
function tables32(): RamHandler {
  const ram = new RamHandler({ size: 0x1_0000 });
  w32(ram, 0x1000, 0x2007);
  w32(ram, 0x1004, 0x0040_0000 | (0x12 << 13) | 0x87);
  w32(ram, 0x1000 + 1023 * 4, 0x3007);
  w32(ram, 0x2000 + 5 * 4, 0x5007);
  w32(ram, 0x2000 + 6 * 4, 0x6005);
  w32(ram, 0x2000 + 7 * 4, 0x7003);
  w32(ram, 0x3000 + 1023 * 4, 0xf007);
  return ram;
}

const mmu32 = (ram: RamHandler, o: X64MmuOptions = {}) =>
  new X64Mmu(ram, { cr0: PG_WP, cr3: 0x1000, cr4: PSE, cpl: 3, ...o });

describe('32-bit paging (SDM §4.3)', () => {
  it('walks the 4-byte PD and PT entries, setting A and D as §4.8 says', () => {
    const ram = tables32();
    const mmu = mmu32(ram);
    expect(mmu.pagingMode).toBe('32-bit');
    expect(mmu.translate(0x5123, Access.Read)).toEqual({ paddr: 0x5123, size: PageSize.Size4K, flags: R | W | X | U });
    expect(ram.words[0x1000 / 4]).toBe(0x2027);
    expect(ram.words[(0x2000 + 20) / 4]).toBe(0x5027);
    expect(mmu.translatePa(0x5008, Access.Write)).toBe(0x5008);
    expect(ram.words[(0x2000 + 20) / 4]).toBe(0x5067);
    // The neighbour entries (a 4-byte format: no high word) are untouched.
    expect(ram.words[(0x2000 + 24) / 4]).toBe(0x6005);
  });

  it('maps a 4 MiB page with CR4.PSE, PA bits 39:32 from PDE bits 20:13 (PSE-36)', () => {
    const mmu = mmu32(tables32());
    expect(mmu.translate(0x7f_1234, Access.Read)).toEqual({
      paddr: 0x12_007f_1234,
      size: PageSize.Size4M,
      flags: R | W | X | U,
    });
    expect(mmu.lastSize).toBe(PageSize.Size4M);
    const d = mmu.debugTranslate(0x40_0000);
    expect(d.steps).toEqual([{ level: 1, index: 1, entryPaddr: 0x1004, entry: BigInt(0x0042_40a7) }]);
    expect(d.leafSize).toBe(PageSize.Size4M);
  });

  it('ignores PS without CR4.PSE: the PDE then locates a page table', () => {
    const mmu = mmu32(tables32(), { cr4: 0 });
    // PT at 0x424000 is outside the 64 KiB of RAM.
    expect(mmu.translate(0x40_0000, Access.Read)).toEqual({ fault: { vector: 14, errorCode: 0x4, cr2: 0x40_0000 } });
    expect(mmu.faultReason).toBe('unbacked-table');
  });

  it('reserves PDE bit 21 and the PSE-36 bits at or above min(MAXPHYADDR, 40) of a 4 MiB page', () => {
    const ram = tables32();
    // PA[39:32] = 0x12 sets PDE bit 17 = PA bit 36: reserved when MAXPHYADDR is 36.
    expect(mmu32(ram, { maxPhyAddr: 36 }).translate(0x40_0000, Access.Read)).toEqual({
      fault: { vector: 14, errorCode: 0xd, cr2: 0x40_0000 },
    });
    expect(mmu32(ram, { maxPhyAddr: 37 }).translatePa(0x40_0000, Access.Read)).toBe(0x12_0040_0000);
    w32(ram, 0x1004, ram.words[0x1004 / 4] | 0x20_0000);
    const mmu = mmu32(ram);
    expect(mmu.translatePa(0x40_0000, Access.Read)).toBe(-1);
    expect(mmu.faultErrorCode).toBe(0xd);
    expect(mmu.debugTranslate(0x40_0000).stop).toBe('reserved bit set at level 1 (PDE): 0x200000');
  });

  it('raises the #PF error codes of §4.7: U/S, R/W with CR0.WP, I/D only with SMEP (no XD, NXE ignored)', () => {
    const mmu = mmu32(tables32(), { efer: NXE });
    expect(mmu.translate(0x7000, Access.Read)).toEqual({ fault: { vector: 14, errorCode: 0x5, cr2: 0x7000 } });
    expect(mmu.translate(0x6000, Access.Write)).toEqual({ fault: { vector: 14, errorCode: 0x7, cr2: 0x6000 } });
    expect(mmu.translate(0x8000, Access.Execute)).toEqual({ fault: { vector: 14, errorCode: 0x4, cr2: 0x8000 } });
    mmu.cpl = 0;
    expect(mmu.translatePa(0x6000, Access.Write)).toBe(-1);
    mmu.cr0 = 0x8000_0011; // WP = 0: supervisor writes ignore R/W
    expect(mmu.translatePa(0x6000, Access.Write)).toBe(0x6000);
    mmu.cr4 = PSE | SMEP;
    expect(mmu.translate(0x5000, Access.Execute)).toEqual({ fault: { vector: 14, errorCode: 0x11, cr2: 0x5000 } });
  });

  it('translates the top of the 32-bit space; a VA beyond 32 bits (not sign-extended) is a #GP(0)', () => {
    const mmu = mmu32(tables32());
    expect(mmu.translatePa(0xffff_f123, Access.Read)).toBe(0xf123);
    expect(mmu.translatePa(-0x1000 + 0x123, Access.Read)).toBe(0xf123);
    expect(mmu.translatePaHalves(0xffff_ffff, 0xffff_f123, Access.Read)).toBe(0xf123);
    expect(mmu.translate(0x8000, Access.Read)).toEqual({ fault: { vector: 14, errorCode: 0x4, cr2: 0x8000 } });
    expect(mmu.translatePaHalves(0xdead, 0x5123, Access.Read)).toBe(-1);
    expect(mmu.lastFault).toEqual({ vector: 13, errorCode: 0 });
    expect(mmu.translate(0x1_0000_5000n, Access.Read)).toEqual({ fault: { vector: 13, errorCode: 0 } });
    expect(mmu.translatePaHalves(0xffff_ffff, 0x5000, Access.Read)).toBe(-1);
    expect(mmu.debugTranslate(0x1_0000_5000n).stop).toBe(
      'not a 32-bit linear address (nor one sign-extended) (#GP(0))',
    );
  });

  it('INVLPG of any address inside a 4 MiB page drops all of it from the TLB', () => {
    const ram = tables32();
    const mmu = mmu32(ram, { cr4: PSE | PGE });
    expect(mmu.translatePa(0x40_1000, Access.Read)).toBe(0x12_0040_1000);
    expect(mmu.translatePa(0x70_1000, Access.Read)).toBe(0x12_0070_1000);
    w32(ram, 0x1004, 0x0080_0087);
    expect(mmu.translatePa(0x70_1000, Access.Read)).toBe(0x12_0070_1000); // cached
    mmu.invlpg(0x40_0000);
    expect(mmu.translatePa(0x70_1000, Access.Read)).toBe(0x00b0_1000);
    expect(mmu.translatePa(0x40_1000, Access.Read)).toBe(0x0080_1000);
  });
});

/**
 * PAE tables: the PDPT at 0x1020 (32-byte aligned, inside a frame) with PDPTE 0 -> PD 0x2000 and PDPTE 3 -> PD
 * 0x3000; PD 0x2000: PDE 0 -> PT 0x4000 (PTE 5 user RW XD, PTE 6 user RW), PDE 1 a 2 MiB page at PA 0x2_0020_0000;
 * PD 0x3000: PDE 511 -> PT 0x5000 whose PTE 511 maps 0xffff_f000 to 0xf000 (supervisor, RW).
 */
function tablesPae(): RamHandler {
  const ram = new RamHandler({ size: 0x1_0000 });
  ram.write64(0x1020, 0x2001n);
  ram.write64(0x1038, 0x3001n);
  ram.write64(0x2000, 0x4007n);
  ram.write64(0x2008, 0x2_0020_0087n);
  ram.write64(0x4000 + 5 * 8, 0x8000_0000_0000_5007n);
  ram.write64(0x4000 + 6 * 8, 0x6007n);
  ram.write64(0x3000 + 511 * 8, 0x5007n);
  ram.write64(0x5000 + 511 * 8, 0xf003n);
  return ram;
}

const mmuPae = (ram: RamHandler, o: X64MmuOptions = {}) =>
  new X64Mmu(ram, { cr0: PG_WP, cr3: 0x1020, cr4: PAE, efer: NXE, cpl: 3, ...o });

describe('PAE paging (SDM §4.4)', () => {
  it('walks from the PDPTE registers through 8-byte PDEs and PTEs; 2 MiB pages; XD with EFER.NXE', () => {
    const ram = tablesPae();
    const mmu = mmuPae(ram);
    expect(mmu.pagingMode).toBe('pae');
    expect(mmu.rootPaddr).toBe(0x1020);
    expect(mmu.translate(0x6010, Access.Write)).toEqual({ paddr: 0x6010, size: PageSize.Size4K, flags: R | W | X | U });
    expect(ram.read64(0x2000)).toBe(0x4027n);
    expect(ram.read64(0x4030)).toBe(0x6067n);
    expect(ram.read64(0x1020)).toBe(0x2001n); // PDPTEs have no A bit
    expect(mmu.translate(0x5000, Access.Read)).toMatchObject({ paddr: 0x5000, flags: R | W | U });
    expect(mmu.translate(0x5000, Access.Execute)).toEqual({ fault: { vector: 14, errorCode: 0x15, cr2: 0x5000 } });
    expect(mmu.translate(0x3f_f123, Access.Read)).toEqual({
      paddr: 0x2_003f_f123,
      size: PageSize.Size2M,
      flags: R | W | X | U,
    });
    mmu.cpl = 0;
    expect(mmu.translatePa(0xffff_f008, Access.Write)).toBe(0xf008);
    expect(mmu.translate(0x4000_0000, Access.Read)).toEqual({ fault: { vector: 14, errorCode: 0, cr2: 0x4000_0000 } });
    expect(mmu.debugTranslate(0x4000_0000).stop).toBe('not present at level 2 (PDPTE)');
  });

  it('treats bit 63 as reserved without NXE, and bits 62:52 as reserved (ignored in IA-32e mode)', () => {
    const ram = tablesPae();
    expect(mmuPae(ram, { efer: 0 }).translate(0x5000, Access.Read)).toEqual({
      fault: { vector: 14, errorCode: 0xd, cr2: 0x5000 },
    });
    ram.write64(0x4030, 0x0010_0000_0000_6007n);
    expect(mmuPae(ram).translate(0x6000, Access.Read)).toEqual({ fault: { vector: 14, errorCode: 0xd, cr2: 0x6000 } });
  });

  it('uses the PDPTEs loaded at the last CR3 write, not memory, until CR3 is written again', () => {
    const ram = tablesPae();
    const mmu = mmuPae(ram);
    ram.write64(0x1020, 0n);
    mmu.flushAll();
    expect(mmu.translatePa(0x6000, Access.Read)).toBe(0x6000);
    expect(mmu.pdptes[0]).toBe(0x2001n);
    expect(mmu.writeCr3(0x1020)).toBeUndefined();
    expect(mmu.translatePa(0x6000, Access.Read)).toBe(-1);
    expect(mmu.faultLevel).toBe(2);
  });

  it('a present PDPTE with reserved bits makes the load #GP(0) and changes nothing', () => {
    const ram = tablesPae();
    const mmu = mmuPae(ram);
    ram.write64(0x1038, 0x3007n); // R/W and U/S are reserved in a PDPTE
    expect(mmu.writeCr3(0x1020)).toEqual({ vector: 13, errorCode: 0 });
    expect(mmu.pdpteError).toMatch(/PDPTE 3 \(at 0x1038\) is present with reserved bits 0x6 set/);
    expect(mmu.cr3).toBe(0x1020);
    expect(mmu.pdptes[3]).toBe(0x3001n);
    expect(() => {
      mmu.cr3 = 0x1020;
    }).toThrow(RangeError);
    expect(mmu.loadPdptes()).toEqual({ vector: 13, errorCode: 0 });
    // A not-present PDPTE may hold anything.
    ram.write64(0x1038, 0xffff_fffe_0000_3006n);
    expect(mmu.loadPdptes()).toBeUndefined();
    ram.write64(0x1020, 0x0010_0000_0000_2001n); // bit 52: above MAXPHYADDR
    expect(() => mmuPae(ram)).toThrow(/PDPTE 0 .* reserved bits 0x10000000000000/);
    expect(() => mmuPae(ram, { cr4: 0 })).not.toThrow();
    const m = mmuPae(ram, { cr4: 0 });
    expect(() => {
      m.cr4 = PAE;
    }).toThrow(RangeError);
    expect(m.pagingMode).toBe('32-bit');
    expect(m.writeCr4(PAE)).toEqual({ vector: 13, errorCode: 0 });
  });

  it('has no protection keys or PCIDs outside IA-32e mode', () => {
    const mmu = mmuPae(tablesPae(), { cr4: PAE | PKE | 0x2_0000, pkru: 0xffff_ffff, cr3: 0x1020 });
    expect(mmu.pcid).toBe(0);
    expect(mmu.translatePa(0x6000, Access.Write)).toBe(0x6000);
  });
});

// ------------------------------------------------------------------ properties

const PD = 0x1000;
const FRAMES = 8;
/** Flag bits 11:0, mostly present, writable and user (so walks go deep), else anything. */
const flagBits = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xfff }).map((b) => b | 0x7) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xfff }) },
);
/** An entry pointing into the small RAM (frames 0..7) or far outside it, with random flag bits. */
const entry32 = fc
  .record({
    frame: fc.integer({ min: 0, max: FRAMES - 1 }),
    bits: flagBits,
    far: fc.constantFrom(false, false, false, true),
  })
  .map(({ frame, bits, far }) => ((far ? 0x1234_5000 + frame * 0x40_0000 : frame * 0x1000) | bits) >>> 0);
const entryPae = fc
  .record({
    frame: fc.integer({ min: 0, max: FRAMES - 1 }),
    bits: flagBits,
    hi: fc.constantFrom(0, 0, 0, 0, 0, 0x8000_0000, 0x10_0000, 0x1, 0x8000_0001),
  })
  .map(({ frame, bits, hi }) => (BigInt(hi) << 32n) | BigInt(frame * 0x1000 + bits));
const SLOTS32 = [0, 1, 1023];
const SLOTSPAE = [0, 1, 511];
const vaArb = fc
  .record({
    top: fc.constantFrom(0, 1, 3, 1023),
    mid: fc.constantFrom(0, 1, 511, 1023),
    off: fc.integer({ min: 0, max: 0xfff }),
  })
  .map(({ top, mid, off }) => ((top << 22) | (mid << 12) | off) >>> 0);
const stateArb = fc.record({
  pae: fc.boolean(),
  pse: fc.boolean(),
  nxe: fc.boolean(),
  wp: fc.boolean(),
  smep: fc.boolean(),
  smap: fc.boolean(),
  ac: fc.boolean(),
  pge: fc.boolean(),
  cpl: fc.constantFrom(0, 3),
  m: fc.constantFrom(32, 36, 40, 52),
});

function regs(s: LegacyState): X64MmuOptions {
  return {
    cr0: s.wp ? PG_WP : 0x8000_0011,
    cr3: s.cr3,
    cr4: (s.pae ? PAE : 0) | (s.pse ? PSE : 0) | (s.pge ? PGE : 0) | (s.smep ? SMEP : 0) | (s.smap ? 0x20_0000 : 0),
    efer: s.nxe ? NXE : 0,
    rflags: s.ac ? 0x4_0002 : 0x2,
    cpl: s.cpl,
    maxPhyAddr: s.m,
  };
}

describe('X64Mmu in 32-bit and PAE paging against the SDM reference model (random raw tables)', () => {
  it('gives the model’s PA, size, rights or exact fault and writes the same A/D bits, TLB hits included', () => {
    // What the runs reached, so the property cannot pass by faulting everywhere.
    const seen = { ok: 0, big: 0, rsvd: 0, gp: 0 };
    fc.assert(
      fc.property(
        stateArb,
        fc.array(entry32, { minLength: FRAMES * 3, maxLength: FRAMES * 3 }),
        fc.array(entryPae, { minLength: FRAMES * 3 + 4, maxLength: FRAMES * 3 + 4 }),
        fc.array(fc.record({ va: vaArb, access: fc.constantFrom(Access.Read, Access.Write, Access.Execute) }), {
          minLength: 1,
          maxLength: 16,
        }),
        (st, e32, ePae, accesses) => {
          const s: LegacyState = { ...st, cr3: st.pae ? PD + 0x20 : PD };
          const fill = () => {
            const ram = new RamHandler({ size: FRAMES * 0x1000 });
            for (let f = 0; f < FRAMES; f++) {
              for (let i = 0; i < 3; i++) {
                if (s.pae) ram.write64(f * 0x1000 + SLOTSPAE[i] * 8, ePae[f * 3 + i]);
                else ram.words[(f * 0x1000 + SLOTS32[i] * 4) / 4] = e32[f * 3 + i];
              }
            }
            if (s.pae) for (let i = 0; i < 4; i++) ram.write64(s.cr3 + i * 8, ePae[FRAMES * 3 + i]);
            return ram;
          };
          const ram = fill();
          const ref = fill();
          const pdptes = s.pae ? loadModelPdptes(ref, s) : [];
          if (pdptes === 'gp') {
            seen.gp++;
            expect(() => new X64Mmu(ram, regs(s))).toThrow(/#GP\(0\)/);
            return;
          }
          const mmu = new X64Mmu(ram, regs(s));
          for (const { va, access } of accesses) {
            const want = modelLegacy(ref, s, pdptes, va, access, true);
            const got = mmu.translate(va, access);
            if (want.ok) seen.ok++;
            if (want.ok && want.size > 4096) seen.big++;
            if (!want.ok && want.errorCode & 8) seen.rsvd++;
            if (want.ok) {
              expect(got).toEqual({ paddr: Number(want.pa), size: want.size, flags: want.flags });
            } else {
              expect(got).toEqual({ fault: { vector: 14, errorCode: want.errorCode, cr2: want.cr2 } });
            }
            expect(Array.from(ram.words)).toEqual(Array.from(ref.words));
            // The debug walk, on the tables as they are now, reaches the same answer and writes nothing.
            const d = mmu.debugTranslate(va, access);
            expect(d.result).toEqual(got);
            expect(d.steps.length).toBeGreaterThan(0);
            expect(Array.from(ram.words)).toEqual(Array.from(ref.words));
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.big).toBeGreaterThan(10);
    expect(seen.rsvd).toBeGreaterThan(10);
    expect(seen.gp).toBeGreaterThan(5);
  });
});
