/**
 * Properties of LA64Mmu over random tables built with LA64PageTable:
 * agreement with `query`, TLB coherence after invalidation, no A/D writes
 * (the LoongArch reference model writes none), and side-effect-free
 * `debugTranslate`.
 */

import { Access, MappingFlags, PageSize, PagingError, RamHandler } from '@page-table/core';
import { va as toVa } from '@page-table/memory-addr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LA64Ecode, LA64Mmu, type LA64MmuOptions, LA64PageTable } from '../src/index.js';
import { linuxRefill, pg, sameBytes } from './mmu-helpers.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE, UNCACHED } = MappingFlags;
const SIZES = [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G] as const;

interface Leaf {
  /** Region (a 1 GiB block of VA; odd regions are in the high half). */
  region: number;
  /** Which 2 MiB block of the region, and which 4 KiB page of that block. */
  block: number;
  page: number;
  /** 0 = 4K, 1 = 2M, 2 = 1G. */
  kind: number;
  frame: number;
  flags: number;
}

const leafArb: fc.Arbitrary<Leaf> = fc.record({
  region: fc.integer({ min: 0, max: 3 }),
  block: fc.integer({ min: 0, max: 3 }),
  page: fc.integer({ min: 0, max: 7 }),
  kind: fc.constantFrom(0, 0, 0, 1, 2),
  frame: fc.integer({ min: 0, max: 2 ** 24 }),
  flags: fc
    .record({
      r: fc.boolean(),
      w: fc.boolean(),
      x: fc.boolean(),
      u: fc.boolean(),
      mat: fc.constantFrom(0, DEVICE, UNCACHED),
    })
    .map(({ r, w, x, u, mat }) => (r ? R : 0) | (w ? W : 0) | (x ? X : 0) | (u ? U : 0) | mat)
    .filter((f) => (f & (R | W | X)) !== 0),
});

/** The first VA of a leaf's region for a table of `levels` levels (canonical for it). */
function regionBase(levels: number, region: number): bigint {
  const n = BigInt(region >> 1) + 1n;
  if (levels === 4) return region & 1 ? 0xffff_8000_0000_0000n + (n << 30n) : n << 31n;
  return region & 1 ? 0xffff_ffc0_0000_0000n + (n << 30n) : n << 31n;
}

function leafVa(levels: number, l: Leaf): bigint {
  const base = regionBase(levels, l.region);
  if (l.kind === 2) return base;
  if (l.kind === 1) return base + (BigInt(l.block) << 21n);
  return base + (BigInt(l.block) << 21n) + (BigInt(l.page) << 12n);
}

/** Builds a table from random leaves (conflicting ones are skipped) and an MMU over it. */
function build(levels: 3 | 4, leaves: readonly Leaf[], options: LA64MmuOptions = {}) {
  const ram = new RamHandler({ base: 0, size: 256 << 10 }); // room for every table of a dozen leaves
  const pt = LA64PageTable.create(ram, { levels });
  const mapped: Array<{ va: bigint; size: number }> = [];
  for (const l of leaves) {
    const size = SIZES[l.kind];
    const frame = l.frame - (l.frame % (size / 4096));
    try {
      pt.map(leafVa(levels, l), frame * 4096, size, l.flags);
      mapped.push({ va: leafVa(levels, l), size });
    } catch (e) {
      if (!(e instanceof PagingError)) throw e;
    }
  }
  const root = pt.rootPaddr;
  const mmu = new LA64Mmu(ram, { crmd: pg(0), pgdl: root, pgdh: root, pwcl: pt.pwcl, pwch: pt.pwch, ...options });
  return { ram, pt, mmu, mapped };
}

/** VAs to probe: inside every mapping, plus pages around them that may be unmapped. */
function probes(
  levels: number,
  mapped: ReadonlyArray<{ va: bigint; size: number }>,
  offsets: readonly number[],
): bigint[] {
  const out: bigint[] = [];
  for (const [k, m] of mapped.entries()) {
    const off = BigInt(offsets[k % offsets.length] % m.size);
    out.push(m.va + off, m.va + BigInt(m.size) - 8n);
  }
  for (let r = 0; r < 4; r++) for (const d of [0n, 0x1000n, 0x20_1000n, 0x7000n]) out.push(regionBase(levels, r) + d);
  return out;
}

const accessArb = fc.constantFrom(Access.Read, Access.Write, Access.Execute);

/** The fault a leaf with `flags` gives `access` at `plv` in the manual's order, or 0. */
function expectedCode(flags: number, access: Access, plv: number): number {
  if (access === Access.Execute && !(flags & X)) return LA64Ecode.PNX;
  if (plv === 3 && !(flags & U)) return LA64Ecode.PPI;
  if (access === Access.Read && !(flags & R)) return LA64Ecode.PNR;
  if (access === Access.Write && !(flags & W)) return LA64Ecode.PME;
  return 0;
}

describe('LA64Mmu properties', () => {
  it('translate agrees with query: permitted accesses give its PA, flags and size; others the exact fault', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(3 as const, 4 as const),
        fc.array(leafArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 30 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(accessArb, fc.constantFrom(0, 3)), { minLength: 1, maxLength: 4 }),
        (levels, leaves, offsets, accesses) => {
          const { pt, mmu, mapped } = build(levels, leaves);
          for (const va of probes(levels, mapped, offsets)) {
            const q = pt.query(va);
            for (const [access, plv] of accesses) {
              mmu.crmd = pg(plv);
              const r = mmu.translate(va, access);
              if (q === undefined) {
                expect(r.fault).toMatchObject({ ecode: LA64Ecode.PIL + access, badv: toVa(va) });
                expect(r.fault?.refill).toBeUndefined();
                continue;
              }
              const code = expectedCode(q.flags, access, plv);
              if (code === 0) expect(r).toEqual({ paddr: q.paddr, flags: q.flags, size: q.size });
              else expect(r.fault).toMatchObject({ ecode: code, esubcode: 0, badv: toVa(va) });
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("the guest's refill (LDDIR/LDPTE/TLBFILL with ptw off) gives what the MMU's own walk gives", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(3 as const, 4 as const),
        fc.array(leafArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 30 }), { minLength: 1, maxLength: 3 }),
        accessArb,
        (levels, leaves, offsets, access) => {
          const { ram, pt, mmu, mapped } = build(levels, leaves);
          const guest = new LA64Mmu(ram, {
            crmd: pg(0),
            pgdl: pt.rootPaddr,
            pgdh: pt.rootPaddr,
            pwcl: pt.pwcl,
            pwch: pt.pwch,
            ptw: false,
          });
          const dirs = levels === 4 ? [3, 2, 1] : [2, 1];
          for (const va of probes(levels, mapped, offsets)) {
            let r = guest.translate(va, access);
            if (r.fault?.refill) {
              linuxRefill(guest, va, dirs);
              r = guest.translate(va, access);
            }
            const expected = mmu.translate(va, access);
            // The one difference: the MMU's walk knows a split huge page is one leaf; a guest's TLBFILL only says PS.
            if (!expected.fault && !r.fault) expect({ ...r, size: expected.size }).toEqual(expected);
            else expect(r).toEqual(expected);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('TLB coherence: after table edits and the invalidation the guest issues, the TLB answers like a fresh walk', () => {
    const edit = fc.record({
      op: fc.constantFrom('map', 'map', 'unmap', 'protect'),
      leaf: leafArb,
      flags: leafArb.map((l) => l.flags),
    });
    const invalidation = fc.constantFrom('va', 'va-or-global', 'asid', 'all');
    fc.assert(
      fc.property(
        fc.constantFrom(3 as const, 4 as const),
        fc.array(leafArb, { maxLength: 8 }),
        fc.array(fc.tuple(edit, accessArb), { minLength: 1, maxLength: 10 }),
        invalidation,
        fc.integer({ min: 0, max: 1023 }),
        (levels, leaves, edits, how, asid) => {
          const { pt, mmu, mapped, ram } = build(levels, leaves, { asid });
          const all = probes(levels, mapped, [0x1234]);
          for (const [e, access] of edits) {
            const va = leafVa(levels, e.leaf);
            all.push(va);
            for (const p of all) mmu.translatePaHalves(Number(p >> 32n), Number(p & 0xffff_ffffn), access); // fill the TLBs
            const size = e.op === 'map' ? SIZES[e.leaf.kind] : (pt.query(va)?.size ?? 4096);
            try {
              if (e.op === 'map') {
                const size = SIZES[e.leaf.kind];
                pt.map(va, (e.leaf.frame - (e.leaf.frame % (size / 4096))) * 4096, size, e.flags);
              } else if (e.op === 'unmap') pt.unmap(va);
              else pt.protect(va, e.flags);
            } catch (err) {
              if (!(err instanceof PagingError)) throw err;
            }
            // The guest's TLB maintenance for what changed. LoongArch caches V=0 halves, so a huge
            // page's whole range must go (as Linux's flush_tlb_range of a large range: the ASID's entries);
            // a 4 KiB page's by its VA.
            const pending = pt.pendingFlush;
            pt.flush();
            if (pending === 'full' || how === 'all') mmu.invtlb(0);
            else if (how === 'asid' || size > 4096) mmu.invtlb(4, asid);
            else for (const v of pending) mmu.invtlb(how === 'va' ? 5 : 6, asid, v);
          }
          const fresh = new LA64Mmu(ram, {
            crmd: pg(0),
            pgdl: pt.rootPaddr,
            pgdh: pt.rootPaddr,
            pwcl: pt.pwcl,
            pwch: pt.pwch,
            asid,
          });
          for (const va of all) {
            for (const access of [Access.Read, Access.Write, Access.Execute]) {
              expect(mmu.translate(va, access)).toEqual(fresh.translate(va, access));
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('A/D: no access writes guest RAM (the reference model: LoongArch has no A bit, D is software-managed)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(3 as const, 4 as const),
        fc.array(leafArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(accessArb, fc.constantFrom(0, 1, 2, 3), fc.nat()), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        (levels, leaves, accesses, ptw) => {
          const { ram, mmu, mapped } = build(levels, leaves, { ptw, misc: 1 << 17 });
          const before = ram.bytes.slice();
          const all = probes(levels, mapped, [0x777]);
          for (const [access, plv, k] of accesses) {
            mmu.crmd = pg(plv);
            mmu.translate(all[k % all.length], access);
          }
          expect(sameBytes(ram.bytes, before)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('debugTranslate changes nothing (RAM, TLB, counters) and predicts what translate returns', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(3 as const, 4 as const),
        fc.array(leafArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(accessArb, fc.nat(), fc.boolean()), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (levels, leaves, steps, ptw) => {
          const { ram, mmu, mapped } = build(levels, leaves, { ptw });
          const all = probes(levels, mapped, [0x4321]);
          for (const [access, k, warm] of steps) {
            const va = all[k % all.length];
            if (warm) mmu.translate(va, access);
            const bytes = ram.bytes.slice();
            const stats = { ...mmu.stats };
            const tlb = Array.from({ length: mmu.tlbSize }, (_, i) => mmu.tlbrd(i));
            const d = mmu.debugTranslate(va, access);
            expect(sameBytes(ram.bytes, bytes)).toBe(true);
            expect(mmu.stats).toEqual(stats);
            expect(Array.from({ length: mmu.tlbSize }, (_, i) => mmu.tlbrd(i))).toEqual(tlb);
            expect(mmu.translate(va, access)).toEqual(d.result);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
