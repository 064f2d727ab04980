// Properties of A64Mmu (fast-check): it agrees with A64PageTable.query for every
// permitted access; its TLB stays coherent under table edits followed by the
// architecture's invalidations; the Access-flag and dirty-state writes match a
// reference model written from MMU.md §4.2/§4.4; debugTranslate changes nothing.
import { Access, isPagingError, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A64FaultKind, A64Mmu, A64PageTable, DescriptorAttr as D, ttbrValue } from '../src/index.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U } = MappingFlags;
const TCR = 16n | (16n << 16n) | (2n << 30n) | (0b101n << 32n);
const HA = 1n << 39n;
const HD = 1n << 40n;
const SIZES: readonly PageSize[] = [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G];

/** VAs that share tables and collide: VA[47:39], [38:30], [29:21], [20:12] from small sets. */
const vaArb = fc
  .tuple(
    fc.constantFrom(0, 1, 511),
    fc.constantFrom(0, 1, 2),
    fc.constantFrom(0, 1, 511),
    fc.constantFrom(0, 1, 2, 511),
    fc.integer({ min: 0, max: 0xfff }),
  )
  .map(([a, b, c, d, off]) => a * 2 ** 39 + b * 2 ** 30 + c * 2 ** 21 + d * 2 ** 12 + off);
const flagsArb = fc.integer({ min: 0, max: 63 }).map((f) => f | R);
const accessArb = fc.constantFrom(Access.Read, Access.Write, Access.Execute);
const mapArb = fc.record({
  va: vaArb,
  size: fc.constantFrom(0, 0, 0, 1, 2),
  flags: flagsArb,
  frame: fc.integer({ min: 0, max: 1023 }),
});

function align(v: number, size: number): number {
  return v - (v % size);
}

/** Maps, ignoring AlreadyMapped / MappedToHugePage. */
function tryMap(pt: A64PageTable, m: { va: number; size: number; flags: number; frame: number }): boolean {
  const size = SIZES[m.size];
  try {
    pt.map(align(m.va, size), m.frame * size, size, m.flags);
    return true;
  } catch (e) {
    if (isPagingError(e)) return false;
    throw e;
  }
}

/** What the codec's flags allow, by the EL1&0 rules (PAN = WXN = 0): the codec gives USER pages PXN, kernel pages UXN. */
function codecAllows(flags: number, el: number, access: Access): boolean {
  const user = (flags & U) !== 0;
  if (el === 0) {
    if (!user) return false;
    return (
      access === Access.Read ||
      (access === Access.Write && (flags & W) !== 0) ||
      (access === Access.Execute && (flags & X) !== 0)
    );
  }
  return (
    access === Access.Read ||
    (access === Access.Write && (flags & W) !== 0) ||
    (access === Access.Execute && (flags & X) !== 0 && !user)
  );
}

describe('translate agrees with A64PageTable.query', () => {
  it('for every permitted access (PA and size), and permits exactly what the leaf flags allow', () => {
    fc.assert(
      fc.property(
        fc.array(mapArb, { maxLength: 12 }),
        fc.array(fc.tuple(vaArb, accessArb, fc.constantFrom(0, 1), fc.boolean()), { maxLength: 24 }),
        (maps, probes) => {
          const h = new RamHandler({ base: 0, size: 2 << 20 });
          const lower = A64PageTable.create(h);
          const upper = A64PageTable.create(h);
          for (const [i, m] of maps.entries()) tryMap(i % 3 === 2 ? upper : lower, m);
          const mmu = new A64Mmu(h, {
            ttbr0: lower.rootPaddr,
            ttbr1: upper.rootPaddr,
            tcr: TCR,
            sctlr: 1,
            mair: 0x0044_ff04,
          });
          for (const [va, access, el, high] of probes) {
            const pt = high ? upper : lower;
            const v = high ? 0xffff_0000_0000_0000n + BigInt(va) : va;
            mmu.el = el as 0 | 1;
            const q = pt.query(v);
            for (let round = 0; round < 2; round++) {
              const r = mmu.translate(v, access); // the second round is served by the TLB when cached
              if (q === undefined) {
                expect(r.fault?.kind).toBe(A64FaultKind.Translation);
                continue;
              }
              expect(r.fault === undefined).toBe(codecAllows(q.flags, el, access));
              if (r.fault === undefined) {
                expect(r.paddr).toBe(q.paddr);
                expect(r.size).toBe(q.size);
              } else {
                expect(r.fault).toMatchObject({ kind: A64FaultKind.Permission, level: 3 - SIZES.indexOf(q.size) });
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('translate agrees with A64PageTable.query in the EL2 regime', () => {
  it('for every permitted access; EL2 may read every page, write WRITE pages, run EXECUTE pages', () => {
    fc.assert(
      fc.property(
        fc.array(mapArb, { maxLength: 12 }),
        fc.array(fc.tuple(vaArb, accessArb), { maxLength: 24 }),
        (maps, probes) => {
          const h = new RamHandler({ base: 0, size: 2 << 20 });
          const hyp = A64PageTable.create(h, { regime: 'el2' });
          for (const m of maps) tryMap(hyp, m);
          const mmu = new A64Mmu(h, { el: 2, ttbr0El2: hyp.rootPaddr, tcrEl2: 16 | (0b101 << 16), sctlrEl2: 1 });
          for (const [va, access] of probes) {
            const q = hyp.query(va);
            for (let round = 0; round < 2; round++) {
              const r = mmu.translate(va, access);
              if (q === undefined) {
                expect(r.fault?.kind).toBe(A64FaultKind.Translation);
                continue;
              }
              const allowed =
                access === Access.Read ||
                (access === Access.Write && (q.flags & W) !== 0) ||
                (access === Access.Execute && (q.flags & X) !== 0);
              expect(r.fault === undefined).toBe(allowed);
              if (r.fault === undefined) expect([r.paddr, r.size]).toEqual([q.paddr, q.size]);
              else
                expect(r.fault).toMatchObject({
                  kind: A64FaultKind.Permission,
                  el: 2,
                  ec: access === Access.Execute ? 0x21 : 0x25,
                });
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

type Op =
  | { kind: 'map'; m: { va: number; size: number; flags: number; frame: number }; ng: boolean }
  | { kind: 'unmap'; pick: number }
  | { kind: 'protect'; pick: number; flags: number }
  | { kind: 'remap'; pick: number; frame: number; flags: number }
  | { kind: 'asid'; asid: number }
  | { kind: 'probe'; va: number; access: Access; el: 0 | 1 };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('map' as const), m: mapArb, ng: fc.boolean() }),
  fc.record({ kind: fc.constant('unmap' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('protect' as const), pick: fc.nat(), flags: flagsArb }),
  fc.record({
    kind: fc.constant('remap' as const),
    pick: fc.nat(),
    frame: fc.integer({ min: 0, max: 511 }),
    flags: flagsArb,
  }),
  fc.record({ kind: fc.constant('asid' as const), asid: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant('probe' as const),
    va: vaArb,
    access: accessArb,
    el: fc.constantFrom(0 as const, 1 as const),
  }),
);
const invalArb = fc.constantFrom('vmalle1', 'vaae1', 'vaale1', 'vae1-all', 'vale1-all', 'aside1-all+vaae1');

describe('TLB coherence', () => {
  it('after any table edit and its invalidation, the TLB answers as a fresh walk', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(opArb, invalArb), { maxLength: 40 }),
        fc.array(vaArb, { minLength: 4, maxLength: 8 }),
        fc.constantFrom(1, 16, 256),
        (ops, watch, entries) => {
          const h = new RamHandler({ base: 0, size: 2 << 20 });
          const pt = A64PageTable.create(h);
          const root = pt.rootPaddr as number;
          const mmu = new A64Mmu(h, { ttbr0: ttbrValue(root, 1), tcr: TCR, sctlr: 1, tlbEntries: entries });
          const fresh = new A64Mmu(h, { ttbr0: ttbrValue(root, 1), tcr: TCR, sctlr: 1, tlbEntries: 0 });
          const asids = new Set([1]);
          const mapped: number[] = [];
          // An edited VA: one inside something mapped (any page of a block), or a hole.
          const target = (pick: number) =>
            mapped.length === 0 ? 0x1000 : mapped[pick % mapped.length] + (pick % 7) * 0x1000;
          const invalidate = (how: string, va: number) => {
            switch (how) {
              case 'vmalle1':
                return mmu.tlbiVmalle1();
              case 'vaae1':
                return mmu.tlbiVaae1(va);
              case 'vaale1':
                return mmu.tlbiVaale1(va);
              case 'vae1-all':
                for (const a of asids) mmu.tlbiVae1(va, a);
                return;
              case 'vale1-all':
                for (const a of asids) mmu.tlbiVale1(va, a);
                return;
              default:
                for (const a of asids) mmu.tlbiAside1(a);
                mmu.tlbiVaae1(va); // ASIDE1 leaves global entries
            }
          };
          const check = (va: number, access: Access, el: 0 | 1) => {
            mmu.el = el;
            fresh.el = el;
            expect(mmu.translate(va, access)).toEqual(fresh.translate(va, access));
          };
          for (const [op, how] of ops) {
            let edited: number | undefined;
            try {
              switch (op.kind) {
                case 'map':
                  if (tryMap(pt, op.m)) {
                    edited = op.m.va;
                    mapped.push(op.m.va);
                    if (op.ng) {
                      const leaf = fresh.debugTranslate(op.m.va).steps.at(-1)!;
                      h.write64(leaf.entryPaddr, leaf.entry | D.NG);
                    }
                  }
                  break;
                case 'unmap':
                  edited = target(op.pick);
                  pt.unmap(edited);
                  break;
                case 'protect':
                  edited = target(op.pick);
                  pt.protect(edited, op.flags);
                  break;
                case 'remap': {
                  edited = target(op.pick);
                  const size = pt.query(edited)?.size ?? PageSize.Size4K;
                  pt.remap(edited, op.frame * size, op.flags);
                  break;
                }
                case 'asid': {
                  asids.add(op.asid);
                  const v = ttbrValue(root, op.asid);
                  mmu.ttbr0 = v;
                  fresh.ttbr0 = v;
                  break;
                }
                case 'probe':
                  check(op.va, op.access, op.el);
                  break;
              }
            } catch (e) {
              if (!isPagingError(e)) throw e;
            }
            if (edited !== undefined) invalidate(how, edited);
            let i = 0;
            for (const va of [...watch, ...mapped.slice(-8), ...mapped.slice(-4).map((v) => v + 0x3000)]) {
              check(va, (i % 3) as Access, (i >> 1) % 2 === 0 ? 1 : 0);
              i++;
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

// ------------------------------------------------------------ A/D reference model

/** MMU.md §4.2 steps 2–4, as a table: what AP[2:1] grants, then XN, PAN and WXN. */
function modelAllows(
  ap: number,
  pxn: boolean,
  uxn: boolean,
  el: number,
  pan: boolean,
  wxn: boolean,
  access: Access,
): boolean {
  // [EL1 read, EL1 write, EL0 read, EL0 write] per AP[2:1].
  const table = [
    [true, true, false, false], // 00: EL1 RW, EL0 none
    [true, true, true, true], // 01: EL1 RW, EL0 RW
    [true, false, false, false], // 10: EL1 RO, EL0 none
    [true, false, true, false], // 11: EL1 RO, EL0 RO
  ][ap];
  const [r1, w1, r0, w0] = table;
  if (el === 0) {
    if (access === Access.Read) return r0;
    if (access === Access.Write) return w0;
    return !uxn && !(wxn && w0);
  }
  if (access === Access.Execute) return !pxn && !w0 && !(wxn && w1);
  if (pan && r0) return false;
  return access === Access.Read ? r1 : w1;
}

const leafArb = fc.record({
  level: fc.constantFrom(1, 2, 3),
  af: fc.boolean(),
  ap: fc.integer({ min: 0, max: 3 }),
  dbm: fc.boolean(),
  pxn: fc.boolean(),
  uxn: fc.boolean(),
  ng: fc.boolean(),
  // Hierarchical attributes (bits 62..59 of a table descriptor) on one of the tables above.
  tableAttrs: fc.integer({ min: 0, max: 15 }),
  tableAt: fc.integer({ min: 0, max: 2 }),
  ha: fc.boolean(),
  hd: fc.boolean(),
  hpd: fc.boolean(),
});
const accessSeqArb = fc.array(fc.tuple(accessArb, fc.constantFrom(0, 1), fc.boolean(), fc.boolean()), {
  minLength: 1,
  maxLength: 4,
});

describe('Access flag and dirty state match the reference model', () => {
  it('the bits written, where, and whether the access faults', () => {
    fc.assert(
      fc.property(leafArb, accessSeqArb, fc.boolean(), (leaf, seq, useTlb) => {
        const h = new RamHandler({ base: 0, size: 64 << 10 });
        // L0 at 0x1000, L1 at 0x2000, L2 at 0x3000, L3 at 0x4000; the leaf maps VA 0x4000_0000 + 0x20_0000 + 0x5000 region.
        const tables = [0x1000, 0x2000, 0x3000, 0x4000];
        const index = [0, 1, 1, 5];
        const va = 1 * 2 ** 30 + 1 * 2 ** 21 + 5 * 2 ** 12 + 0x123;
        const tdesc: bigint[] = [];
        for (let l = 0; l < leaf.level; l++) {
          let d = BigInt(tables[l + 1]) | 3n;
          if (l === leaf.tableAt || (leaf.tableAt >= leaf.level && l === leaf.level - 1))
            d |= BigInt(leaf.tableAttrs) << 59n;
          tdesc.push(d);
          h.write64(tables[l] + index[l] * 8, d);
        }
        const oa = 0x8000_0000n; // aligned for every level
        let desc = oa | (leaf.level === 3 ? 3n : 1n) | (BigInt(leaf.ap) << 6n) | (1n << 2n);
        if (leaf.af) desc |= D.AF;
        if (leaf.ng) desc |= D.NG;
        if (leaf.dbm) desc |= 1n << 51n;
        if (leaf.pxn) desc |= D.PXN;
        if (leaf.uxn) desc |= D.UXN;
        const leafPa = tables[leaf.level] + index[leaf.level] * 8;
        h.write64(leafPa, desc);
        const tcr = TCR | (leaf.ha ? HA : 0n) | (leaf.hd ? HD : 0n) | (leaf.hpd ? 1n << 41n : 0n);
        const mmu = new A64Mmu(h, { ttbr0: tables[0], tcr, sctlr: 1, tlbEntries: useTlb ? 64 : 0 });
        const effHd = leaf.ha && leaf.hd;
        // Table attributes that apply to the leaf.
        let ta = 0;
        if (!leaf.hpd) for (let l = 0; l < leaf.level; l++) ta |= Number(tdesc[l] >> 59n) & 15;
        let model = desc;
        for (const [access, el, pan, wxn] of seq) {
          mmu.setRegisters({ el: el as 0 | 1, pan, sctlr: 1 | (wxn ? 1 << 19 : 0) });
          const r = mmu.translate(va, access);
          // The model: AF first, then dirty state on a copy, then permissions on the merged copy.
          let expected: 'af' | 'perm' | 'ok';
          let next = model;
          if ((model & D.AF) === 0n && !leaf.ha) expected = 'af';
          else {
            next |= D.AF;
            if (effHd && (model & (1n << 51n)) !== 0n && access === Access.Write) next &= ~D.AP_RO;
            let ap = Number((next >> 6n) & 3n);
            if (ta & 4) ap &= 2;
            if (ta & 8) ap |= 2;
            const pxn = leaf.pxn || (ta & 1) !== 0;
            const uxn = leaf.uxn || (ta & 2) !== 0;
            expected = modelAllows(ap, pxn, uxn, el, pan, wxn, access) ? 'ok' : 'perm';
          }
          if (expected === 'ok') {
            model = next;
            expect(r.fault).toBeUndefined();
            expect(r.fault === undefined && r.paddr).toBe(
              0x8000_0000 + (va % (leaf.level === 3 ? 4096 : leaf.level === 2 ? 2 ** 21 : 2 ** 30)),
            );
          } else {
            expect(r.fault?.kind).toBe(expected === 'af' ? A64FaultKind.AccessFlag : A64FaultKind.Permission);
            expect(r.fault?.level).toBe(leaf.level);
          }
          expect(h.read64(leafPa)).toBe(model);
          for (let l = 0; l < leaf.level; l++) expect(h.read64(tables[l] + index[l] * 8)).toBe(tdesc[l]);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('debugTranslate', () => {
  it('leaves RAM byte-identical, the TLB and counters untouched, and predicts translate', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(mapArb, fc.boolean(), fc.boolean()), { maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(), vaArb, accessArb, fc.constantFrom(0 as const, 1 as const), fc.boolean()), {
          minLength: 1,
          maxLength: 16,
        }),
        fc.boolean(),
        fc.boolean(),
        (maps, probes, ha, hd) => {
          const h = new RamHandler({ base: 0, size: 2 << 20 });
          const pt = A64PageTable.create(h);
          const tcr = TCR | (ha ? HA : 0n) | (hd ? HD : 0n);
          const mmu = new A64Mmu(h, { ttbr0: pt.rootPaddr, tcr, sctlr: 1 });
          const mapped: number[] = [];
          for (const [m, clearAf, dbm] of maps) {
            if (!tryMap(pt, m)) continue;
            mapped.push(m.va);
            const leaf = mmu.debugTranslate(m.va).steps.at(-1)!;
            let e = leaf.entry;
            if (clearAf) e &= ~D.AF;
            if (dbm) e |= 1n << 51n;
            h.write64(leaf.entryPaddr, e);
          }
          const cached = new Set<number>();
          for (const [pick, raw, access, el, pan] of probes) {
            const va = mapped.length > 0 && pick % 4 !== 0 ? mapped[pick % mapped.length] : raw;
            mmu.setRegisters({ el, pan });
            const before = h.bytes.slice();
            const stats = { ...mmu.stats };
            const fault = [mmu.faultEsr, mmu.faultFarHi, mmu.faultFarLo];
            const d = mmu.debugTranslate(va, access);
            expect(Buffer.compare(h.bytes, before)).toBe(0);
            expect(mmu.stats).toEqual(stats);
            expect([mmu.faultEsr, mmu.faultFarHi, mmu.faultFarLo]).toEqual(fault);
            // translate (which may write AF/dirty) gives what the debug walk predicted,
            // and a page the TLB never held is a miss: the debug walk filled nothing.
            const vpn = Math.floor(va / 4096);
            const r = mmu.translate(va, access);
            if (!cached.has(vpn)) {
              expect(r).toEqual(d.result);
              expect(mmu.stats.misses).toBe(stats.misses + 1);
            }
            if (r.fault === undefined) cached.add(vpn);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
