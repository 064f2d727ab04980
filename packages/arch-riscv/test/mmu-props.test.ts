/** fast-check properties of RiscvMmu: agreement with query, TLB coherence, A/D against a model, side-effect-free debug walks. */
import { Access, MappingFlags, PageSize, type PageTable64, RamHandler } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  pageFaultCause,
  RiscvMmu,
  type RiscvPriv,
  SatpMode,
  Sv39PageTable,
  Sv48PageTable,
  Sv57PageTable,
  type SvMode,
} from '../src/index.js';
import { firstDiff, R0_SATP, r0, snapshot } from './mmu-helpers.js';

const SUM = 1 << 18;
const MXR = 1 << 19;
const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const VA_BITS: Record<SvMode, number> = { Sv39: 39, Sv48: 48, Sv57: 57 };

/** The spec's step-5 rule on decoded flags: the reference the MMU is checked against. */
function permits(flags: number, access: Access, priv: number, sum: boolean, mxr: boolean): boolean {
  if (flags & USER) {
    if (priv === 1 && (access === Access.Execute || !sum)) return false;
  } else if (priv === 0) return false;
  if (access === Access.Read) return (flags & READ) !== 0 || (mxr && (flags & EXECUTE) !== 0);
  if (access === Access.Write) return (flags & WRITE) !== 0;
  return (flags & EXECUTE) !== 0;
}

function makeTable(
  mode: SvMode,
  ram: RamHandler,
  svpbmt: boolean,
  flushTlb?: (va: number | bigint | undefined) => void,
): PageTable64 {
  const opts = { svpbmt, flushTlb };
  return mode === 'Sv39'
    ? Sv39PageTable.create(ram, opts)
    : mode === 'Sv48'
      ? Sv48PageTable.create(ram, opts)
      : Sv57PageTable.create(ram, opts);
}

/** A canonical VA of `mode` from a VPN-ish seed: lower or upper half. */
function canonicalVa(mode: SvMode, seed: bigint, upper: boolean, align: bigint): bigint {
  const bits = BigInt(VA_BITS[mode] - 1);
  let v = (seed % (1n << bits)) & ~(align - 1n);
  if (upper) v |= ((1n << 64n) - 1n) ^ ((1n << bits) - 1n);
  return v;
}

const SIZES = [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G] as const;
const FLAG_SETS = [READ, READ | WRITE, EXECUTE, READ | EXECUTE, READ | WRITE | EXECUTE].flatMap((f) => [f, f | USER]);

const arbMapping = fc.record({
  seed: fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }),
  upper: fc.boolean(),
  size: fc.constantFrom(...SIZES),
  frame: fc.integer({ min: 0, max: 2 ** 30 }),
  flags: fc.constantFrom(...FLAG_SETS),
  mem: fc.constantFrom(0, MappingFlags.DEVICE, MappingFlags.UNCACHED),
});
const arbCpu = fc.record({
  priv: fc.constantFrom<RiscvPriv>(0, 1),
  sum: fc.boolean(),
  mxr: fc.boolean(),
});
const arbAccess = fc.constantFrom<Access>(Access.Read, Access.Write, Access.Execute);

describe('properties', () => {
  it("a permitted access translates as the page table's query says; others page-fault", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SvMode>('Sv39', 'Sv48', 'Sv57'),
        fc.boolean(),
        fc.array(arbMapping, { minLength: 1, maxLength: 12 }),
        fc.array(
          fc.record({
            pick: fc.nat(),
            offset: fc.nat(),
            access: arbAccess,
            cpu: arbCpu,
            random: fc.boolean(),
            seed: fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }),
          }),
          { minLength: 1, maxLength: 16 },
        ),
        (mode, svpbmt, mappings, accesses) => {
          const ram = new RamHandler({ size: 0x20_0000 });
          const pt = makeTable(mode, ram, svpbmt);
          const mapped: bigint[] = [];
          for (const m of mappings) {
            const va = canonicalVa(mode, m.seed, m.upper, BigInt(m.size));
            const pa = m.frame * 4096 - ((m.frame * 4096) % m.size);
            try {
              pt.map(va, pa, m.size, m.flags | m.mem);
              mapped.push(va + BigInt(m.size) - 1n);
            } catch {
              // overlapping: skip
            }
          }
          const mmu = new RiscvMmu(ram, {
            satp: (BigInt(SatpMode[mode]) << 60n) | (BigInt(pt.rootPaddr) / 4096n),
            priv: 1,
            svpbmt,
          });
          for (const a of accesses) {
            const base =
              a.random || mapped.length === 0
                ? canonicalVa(mode, a.seed, a.seed % 2n === 0n, 1n)
                : mapped[a.pick % mapped.length];
            const va = a.random ? base : base - BigInt(a.offset % 4096);
            mmu.priv = a.cpu.priv;
            mmu.mstatus = (a.cpu.sum ? SUM : 0) | (a.cpu.mxr ? MXR : 0);
            const q = pt.query(va);
            for (let round = 0; round < 2; round++) {
              // Round 1 may be served by the TLB.
              const r = mmu.translate(va, a.access);
              if (q === undefined || !permits(q.flags, a.access, a.cpu.priv, a.cpu.sum, a.cpu.mxr)) {
                expect(r.fault?.cause).toBe(pageFaultCause(a.access));
                continue;
              }
              expect(r.fault).toBeUndefined();
              if (r.fault !== undefined) continue;
              expect(r.paddr).toBe(q.paddr);
              expect(r.size).toBe(q.size);
              let want = q.flags & (USER | MappingFlags.DEVICE | MappingFlags.UNCACHED);
              for (const [acc, bit] of [
                [Access.Read, READ],
                [Access.Write, WRITE],
                [Access.Execute, EXECUTE],
              ] as const) {
                if (permits(q.flags, acc, a.cpu.priv, a.cpu.sum, a.cpu.mxr)) want |= bit;
              }
              expect(r.flags).toBe(want);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('after table edits and the fences they call for, the TLB answers as a fresh walk', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('map' as const),
        slot: fc.nat(7),
        size: fc.constantFrom(PageSize.Size4K, PageSize.Size2M),
        frame: fc.nat(4096),
        flags: fc.constantFrom(...FLAG_SETS),
      }),
      fc.record({ kind: fc.constant('unmap' as const), slot: fc.nat(7) }),
      fc.record({ kind: fc.constant('protect' as const), slot: fc.nat(7), flags: fc.constantFrom(...FLAG_SETS) }),
      fc.record({
        kind: fc.constant('remap' as const),
        slot: fc.nat(7),
        frame: fc.nat(4096),
        flags: fc.constantFrom(...FLAG_SETS),
      }),
      fc.record({ kind: fc.constant('asid' as const), asid: fc.nat(3) }),
      fc.record({ kind: fc.constant('cpu' as const), cpu: arbCpu }),
      fc.record({ kind: fc.constant('touch' as const), slot: fc.nat(7), page: fc.nat(3), access: arbAccess }),
    );
    // VAs that share 2M and 1G regions so edits overlap cached pages.
    const slotVa = (slot: number, page = 0) =>
      0x4000_0000 + (slot >> 1) * 0x20_0000 + (slot & 1) * 0x1000 + page * 0x1000;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const ram = new RamHandler({ size: 0x10_0000 });
        let mmu: RiscvMmu | undefined;
        const pt = Sv39PageTable.create(ram, {
          flushTlb: (va) => (va === undefined ? mmu?.sfenceVma() : mmu?.sfenceVma(va)),
        });
        mmu = new RiscvMmu(ram, { satp: pt.satp(0), priv: 1 });
        const m = mmu;
        const probe = () => {
          for (let slot = 0; slot < 8; slot++) {
            for (const page of [0, 1, 0x1ff]) {
              const va = slotVa(slot, page);
              for (const acc of [Access.Read, Access.Write, Access.Execute] as const) {
                expect(m.translate(va, acc)).toEqual(m.debugTranslate(va, acc).result);
              }
            }
          }
        };
        for (const o of ops) {
          try {
            switch (o.kind) {
              case 'map':
                pt.map(
                  o.size === PageSize.Size2M ? slotVa(o.slot) & ~0x1f_ffff : slotVa(o.slot),
                  o.frame * 0x1000 - ((o.frame * 0x1000) % o.size),
                  o.size,
                  o.flags,
                );
                break;
              case 'unmap':
                pt.unmap(slotVa(o.slot));
                break;
              case 'protect':
                pt.protect(slotVa(o.slot), o.flags);
                break;
              case 'remap':
                pt.remap(slotVa(o.slot), o.frame * 0x20_0000, o.flags);
                break;
              case 'asid':
                m.satp = pt.satp(o.asid);
                break;
              case 'cpu':
                m.priv = o.cpu.priv;
                m.mstatus = (o.cpu.sum ? SUM : 0) | (o.cpu.mxr ? MXR : 0);
                break;
              case 'touch':
                m.translatePa(slotVa(o.slot, o.page), o.access);
                break;
            }
          } catch {
            // NotMapped, AlreadyMapped, MappedToHugePage: nothing changed
          }
          pt.flush();
          probe();
        }
      }),
      { numRuns: 30 },
    );
  });

  it('A/D bits are written as the reference model says', () => {
    const leafArb = fc.record({
      level: fc.constantFrom(0, 1, 2),
      bits: fc.nat(0xff), // V R W X U G A D
    });
    const step = fc.oneof(
      fc.record({ kind: fc.constant('access' as const), access: arbAccess, cpu: arbCpu, page: fc.nat(15) }),
      fc.record({ kind: fc.constant('edit' as const), bits: fc.nat(0xff) }),
    );
    fc.assert(
      fc.property(leafArb, fc.boolean(), fc.array(step, { minLength: 1, maxLength: 24 }), (leaf, svadu, steps) => {
        const { ram, mmu } = r0({ svadu });
        // Put the leaf at L0[16] (VA 0x1_0000), L1[3] (VA 0x60_0000) or root[3] (VA 0xC000_0000), PA 0x8000_0000 block-aligned.
        const [entryPa, va0] = [
          [0x8000_2080, 0x1_0000],
          [0x8000_1018, 0x60_0000],
          [0x8000_0018, 0xc000_0000],
        ][leaf.level];
        const ppn = 0x8_0000n;
        const pte = ppn << 10n;
        let bits = leaf.bits | 1;
        const write = () => ram.write64(entryPa, pte | BigInt(bits));
        write();
        for (const s of steps) {
          if (s.kind === 'edit') {
            bits = s.bits;
            write();
            mmu.sfenceVma(va0);
            continue;
          }
          mmu.priv = s.cpu.priv;
          mmu.mstatus = (s.cpu.sum ? SUM : 0) | (s.cpu.mxr ? MXR : 0);
          const page = leaf.level === 0 ? 0 : s.page; // a 4K leaf covers one page
          const va = va0 + page * 0x1000;
          const pa = mmu.translatePa(va, s.access);
          // Reference: spec steps 3, 5, 7.
          const V = bits & 1;
          const R = bits & 2;
          const W = bits & 4;
          const X = bits & 8;
          if (V && !R && !W && !X) {
            // A pointer (here back into R0's tables): the walk goes on elsewhere, this entry is never written.
            expect(ram.read64(entryPa)).toBe(pte | BigInt(bits));
            continue;
          }
          let fault = !V || (W && !R);
          if (!fault) {
            const flags = (R ? READ : 0) | (W ? WRITE : 0) | (X ? EXECUTE : 0) | (bits & 0x10 ? USER : 0);
            fault = !permits(flags, s.access, s.cpu.priv, s.cpu.sum, s.cpu.mxr);
          }
          const store = s.access === Access.Write;
          if (!fault && (!(bits & 0x40) || (store && !(bits & 0x80)))) {
            if (svadu) bits |= 0x40 | (store ? 0x80 : 0);
            else fault = true;
          }
          if (fault) {
            expect(pa).toBe(-1);
            expect(mmu.faultCause).toBe(pageFaultCause(s.access));
          } else {
            expect(pa).toBe(0x8000_0000 + page * 0x1000);
          }
          expect(ram.read64(entryPa)).toBe(pte | BigInt(bits));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('debugTranslate leaves RAM byte-identical and the MMU untouched, and agrees with translate', () => {
    const frames = [0x8000_0000, 0x8000_1000, 0x8000_2000, 0x8000_3000, 0x8000_4000];
    const entry = fc.oneof(
      fc
        .record({ to: fc.constantFrom(...frames), extra: fc.constantFrom(0n, 0x10n, 0x20n, 0x40n, 1n << 61n) })
        .map(({ to, extra }) => (BigInt(to >> 12) << 10n) | 1n | extra),
      fc
        .record({
          ppn: fc.bigInt({ min: 0n, max: (1n << 44n) - 1n }),
          bits: fc.bigInt({ min: 0n, max: 0x3ffn }),
          top: fc.constantFrom(0n, 1n << 54n, 1n << 61n, 1n << 62n, 1n << 63n),
        })
        .map(({ ppn, bits, top }) => (ppn << 10n) | bits | top),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            frame: fc.constantFrom(...frames),
            index: fc.oneof(fc.constantFrom(0, 1, 2, 5, 10, 511), fc.nat(511)),
            value: entry,
          }),
          { maxLength: 30 },
        ),
        fc.constantFrom(8n, 9n, 10n),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom(0n, 0xffff_ffff_ffff_f000n),
        arbAccess,
        arbCpu,
        fc.record({ svpbmt: fc.boolean(), svnapot: fc.boolean() }),
        (writes, mode, rawVa, highBits, access, cpu, ext) => {
          const { ram, mmu } = r0({ ...ext, priv: cpu.priv, mstatus: (cpu.sum ? SUM : 0) | (cpu.mxr ? MXR : 0) });
          for (const w of writes) ram.write64(w.frame + w.index * 8, w.value);
          mmu.satp = (mode << 60n) | (R0_SATP & 0xfff_ffff_ffffn);
          // Mostly small VAs (the tables above), sometimes the high half or anything.
          const va = rawVa % 3n === 0n ? rawVa : (rawVa & 0x7f_ffff_ffffn) | highBits;
          mmu.translatePa(0x5000, Access.Read);
          const before = snapshot(ram);
          const stats = { ...mmu.stats };
          const fault = [mmu.faultCause, mmu.faultTvalHi, mmu.faultTvalLo];
          const d = mmu.debugTranslate(va, access);
          expect(firstDiff(snapshot(ram), before)).toBe(-1);
          expect(mmu.stats).toEqual(stats);
          expect([mmu.faultCause, mmu.faultTvalHi, mmu.faultTvalLo]).toEqual(fault);
          expect(d.result.fault === undefined || typeof d.stop === 'string').toBe(true);
          // Nothing changed RAM in between, so translate gives what the debug walk predicted, A/D write included.
          mmu.sfenceVma();
          expect(mmu.translate(va, access)).toEqual(d.result);
          if (d.adUpdate !== undefined) expect(ram.read64(d.adUpdate.entryPaddr)).toBe(d.adUpdate.after);
        },
      ),
      { numRuns: 300 },
    );
  });
});
