// fast-check properties of X64Mmu: agreement with the page table's query,
// agreement (faults, A/D writes, PAs) with the SDM reference model over random
// raw tables and register changes, TLB coherence after invalidation (PCID
// included), and a side-effect-free debugTranslate.
import { Access, MappingFlags, PageSize, type PageTable64, PagingError, RamHandler } from '@page-table/core';
import type { VirtAddr } from '@page-table/memory-addr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { X64Mmu, X64PageTable, X64PageTable5 } from '../src/index.js';
import { type ModelResult, type ModelState, modelTranslate } from './x64-model.js';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, UNCACHED: UC } = MappingFlags;
const ACCESSES = [Access.Read, Access.Write, Access.Execute] as const;

function regsOf(s: ModelState) {
  return {
    cr0: 0x8000_0011 | (s.wp ? 0x1_0000 : 0),
    cr3: s.cr3,
    cr4:
      0x20 |
      (s.la57 ? 0x1000 : 0) |
      (s.smep ? 0x10_0000 : 0) |
      (s.smap ? 0x20_0000 : 0) |
      (s.pke ? 0x40_0000 : 0) |
      (s.pks ? 0x100_0000 : 0),
    efer: 0x500 | (s.nxe ? 0x800 : 0),
    cpl: s.cpl,
    rflags: 0x2 | (s.ac ? 0x4_0000 : 0),
    pkru: s.pkru,
    pkrs: s.pkrs,
    maxPhyAddr: s.m,
  };
}

/** Sets every register through the setters, as a guest's writes would. */
function applyState(mmu: X64Mmu, s: ModelState): void {
  const r = regsOf(s);
  mmu.maxPhyAddr = r.maxPhyAddr;
  mmu.efer = r.efer;
  mmu.cr4 = r.cr4;
  mmu.cr0 = r.cr0;
  mmu.cpl = r.cpl;
  mmu.rflags = r.rflags;
  mmu.pkru = r.pkru;
  mmu.pkrs = r.pkrs;
}

function canon(x: bigint): number | bigint {
  return x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}

function expectSame(got: ReturnType<X64Mmu['translate']>, want: ModelResult): void {
  if (want.ok) {
    expect(got).toEqual({ paddr: canon(want.pa), size: want.size, flags: want.flags });
  } else if (want.vector === 13) {
    expect(got).toEqual({ fault: { vector: 13, errorCode: 0 } });
  } else {
    expect(got).toEqual({ fault: { vector: 14, errorCode: want.errorCode, cr2: canon(want.cr2 as bigint) } });
  }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The filled entries of two random-table RAMs are equal (every other word is zero and never written: P = 0 there). */
function sameEntries(a: RamHandler, b: RamHandler): boolean {
  const x = a.words;
  const y = b.words;
  for (let f = 0; f < FRAMES; f++) {
    for (const s of SLOTS) {
      const w = f * 1024 + s * 2;
      if (x[w] !== y[w] || x[w + 1] !== y[w + 1]) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- raw tables

const FRAMES = 8;
const SLOTS = [0, 1, 2, 3, 508, 509, 510, 511];

/**
 * A random entry: mostly a present link into RAM (now and then just past it),
 * sometimes a PS leaf at a frame aligned for a huge page (or not quite),
 * R/W and U/S set three times in four, XD once in four, a random key, random
 * PWT/PCD/A/D/G, now and then a reserved PA bit — so walks reach leaves often
 * and also fail in every way.
 */
const entryArb = fc
  .record({
    kind: fc.integer({ min: 0, max: 23 }),
    frame: fc.oneof(
      { weight: 12, arbitrary: fc.integer({ min: 0, max: FRAMES - 1 }) },
      { weight: 1, arbitrary: fc.constantFrom(FRAMES, FRAMES + 1) },
    ),
    huge: fc.constantFrom(0x200, 0x201, 0x2200, 0x4_0000, 0x4_0001, 0xc_0000, 0x202, 0x6_0000, 0x4_0100),
    rw: fc.integer({ min: 0, max: 3 }),
    us: fc.integer({ min: 0, max: 3 }),
    other: fc.integer({ min: 0, max: 0x1ff }),
    xd: fc.integer({ min: 0, max: 5 }),
    key: fc.integer({ min: 0, max: 15 }),
    rsvd: fc.oneof(
      { weight: 24, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 36, max: 51 }) },
    ),
  })
  .map(({ kind, frame, huge, rw, us, other, xd, key, rsvd }) => {
    if (kind === 0) return 0n;
    const leaf = kind <= 3;
    let e = BigInt(leaf ? huge : frame) << 12n;
    e |= BigInt(other & 0x178); // PWT, PCD, A, D, G
    if (kind !== 1) e |= 1n;
    if (leaf) e |= 0x80n;
    if (rw !== 0) e |= 2n;
    if (us !== 0) e |= 4n;
    if (xd === 0) e |= 1n << 63n;
    e |= BigInt(key) << 59n;
    if (rsvd) e |= 1n << BigInt(rsvd);
    return e;
  });

const stateArb: fc.Arbitrary<ModelState> = fc.record({
  cr3: fc.integer({ min: 0, max: FRAMES - 1 }).map((f) => BigInt(f) << 12n),
  la57: fc.boolean(),
  nxe: fc.boolean(),
  wp: fc.boolean(),
  smep: fc.boolean(),
  smap: fc.boolean(),
  ac: fc.boolean(),
  pke: fc.boolean(),
  pks: fc.boolean(),
  pkru: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
  ),
  pkrs: fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
  ),
  cpl: fc.constantFrom(0, 1, 3),
  m: fc.constantFrom(36, 40, 46, 52),
});

/** A VA whose index at every level is one of the filled slots; canonical for 4 or 5 levels, or not canonical at all. */
const vaArb = fc
  .record({
    idx: fc.array(fc.constantFrom(...SLOTS), { minLength: 5, maxLength: 5 }),
    off: fc.integer({ min: 0, max: 0xfff }),
    shape: fc.constantFrom(0, 0, 0, 0, 1, 1, 1, 1, 2),
    junk: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  })
  .map(({ idx, off, shape, junk }) => {
    let v = BigInt(off);
    idx.forEach((i, l) => {
      v |= BigInt(i) << BigInt(12 + 9 * l);
    });
    const top = shape === 0 ? 47 : 56;
    if (shape === 2) return (v & ((1n << 57n) - 1n)) | (junk & ~((1n << 57n) - 1n));
    v &= (1n << BigInt(top + 1)) - 1n;
    if ((v >> BigInt(top)) & 1n) v |= ((1n << 64n) - 1n) & ~((1n << BigInt(top + 1)) - 1n);
    return v;
  });

const ramArb = fc.array(entryArb, { minLength: FRAMES * SLOTS.length, maxLength: FRAMES * SLOTS.length });

function fill(entries: readonly bigint[]): RamHandler {
  const ram = new RamHandler({ size: FRAMES * 4096 });
  let i = 0;
  for (let f = 0; f < FRAMES; f++) for (const s of SLOTS) ram.write64(f * 4096 + s * 8, entries[i++]);
  return ram;
}

type Op = { op: 'access'; va: number; access: Access } | { op: 'state'; patch: Partial<ModelState> };

const patchArb: fc.Arbitrary<Partial<ModelState>> = fc.oneof(
  fc.record({ cpl: fc.constantFrom(0, 3) }),
  fc.record({ ac: fc.boolean() }),
  fc.record({ wp: fc.boolean() }),
  fc.record({ smep: fc.boolean(), smap: fc.boolean() }),
  fc.record({ pke: fc.boolean(), pks: fc.boolean() }),
  fc.record({ pkru: fc.integer({ min: 0, max: 0xffff_ffff }) }),
  fc.record({ pkrs: fc.integer({ min: 0, max: 0xffff_ffff }) }),
  fc.record({ nxe: fc.boolean() }),
  fc.record({ la57: fc.boolean() }),
);

/** Accesses pick a VA from a small per-case pool (`va` is its index), so pages are revisited: TLB hits, D set on a later write. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('access' as const), va: fc.nat(3), access: fc.constantFrom(...ACCESSES) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('state' as const), patch: patchArb }) },
);
const poolArb = fc.array(vaArb, { minLength: 4, maxLength: 4 });

describe('X64Mmu against the SDM reference model (random raw tables)', () => {
  it('gives the model’s PA, size, rights or exact fault, and writes the same A/D bits, across register changes', () => {
    fc.assert(
      fc.property(
        ramArb,
        stateArb,
        poolArb,
        fc.array(opArb, { minLength: 1, maxLength: 24 }),
        (entries, s0, pool, ops) => {
          const ram = fill(entries);
          const ref = fill(entries);
          let s = s0;
          const mmu = new X64Mmu(ram, regsOf(s));
          for (const o of ops) {
            if (o.op === 'state') {
              s = { ...s, ...o.patch };
              applyState(mmu, s);
              continue;
            }
            const va = pool[o.va];
            const want = modelTranslate(ref, s, va, o.access, true);
            expectSame(mmu.translate(va, o.access), want);
            expect(sameEntries(ram, ref)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('translatePaHalves agrees with translate and leaves the fault in the fields', () => {
    fc.assert(
      fc.property(ramArb, stateArb, vaArb, fc.constantFrom(...ACCESSES), (entries, s, va, access) => {
        const a = new X64Mmu(fill(entries), regsOf(s));
        const b = new X64Mmu(fill(entries), regsOf(s));
        const r = a.translate(va, access);
        const pa = b.translatePaHalves(Number(va >> 32n), Number(va & 0xffff_ffffn), access);
        if (r.fault) {
          expect(pa).toBe(-1);
          expect(b.lastFault).toEqual(r.fault);
          expect(b.faultVector).toBe(r.fault.vector);
          expect(b.faultErrorCode).toBe(r.fault.errorCode);
        } else {
          expect(pa).toBe(r.paddr);
          expect(b.lastSize).toBe(r.size);
          expect(b.lastFlags).toBe(r.flags);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('debugTranslate', () => {
  it('leaves RAM byte-identical, stats and fault fields untouched, and reports the model’s answer', () => {
    fc.assert(
      fc.property(
        ramArb,
        stateArb,
        fc.array(fc.tuple(vaArb, fc.constantFrom(...ACCESSES)), { minLength: 1, maxLength: 8 }),
        (entries, s, probes) => {
          const ram = fill(entries);
          const mmu = new X64Mmu(ram, regsOf(s));
          const firstOk = !mmu.translate(probes[0][0], probes[0][1]).fault; // something in the TLB, stats and fault fields
          const ref = fill(entries);
          ref.words.set(ram.words);
          const snapshot = ram.bytes.slice();
          const stats = { ...mmu.stats };
          const fields = [
            mmu.faultVector,
            mmu.faultErrorCode,
            mmu.faultVaHi,
            mmu.faultVaLo,
            mmu.faultLevel,
            mmu.faultReason,
          ];
          for (const [va, access] of probes) {
            const d = mmu.debugTranslate(va, access);
            expectSame(d.result, modelTranslate(ref, s, va, access, false));
            if (!d.result.fault) expect(d.permissions).toBe(d.result.flags);
            if (d.result.fault && d.result.fault.vector === 14) expect(d.stop).toBeTypeOf('string');
            for (const step of d.steps) expect(step.entry).toBe(ref.read64(step.entryPaddr));
          }
          expect(sameWords(new Uint32Array(snapshot.buffer), ram.words)).toBe(true);
          expect(mmu.stats).toEqual(stats);
          expect([
            mmu.faultVector,
            mmu.faultErrorCode,
            mmu.faultVaHi,
            mmu.faultVaLo,
            mmu.faultLevel,
            mmu.faultReason,
          ]).toEqual(fields);
          // The TLB is untouched too: the first probe is still a hit, nothing else was filled.
          const hits = mmu.stats.hits;
          mmu.translate(probes[0][0], probes[0][1]);
          if (firstOk) expect(mmu.stats.hits).toBe(hits + 1);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('debugTranslate adUpdates', () => {
  it('are exactly the entry writes translate then makes on a TLB miss', () => {
    fc.assert(
      fc.property(ramArb, stateArb, vaArb, fc.constantFrom(...ACCESSES), (entries, s, va, access) => {
        const ram = fill(entries);
        const mmu = new X64Mmu(ram, regsOf(s));
        const d = mmu.debugTranslate(va, access);
        const before = ram.words.slice();
        const r = mmu.translate(va, access);
        expect(r.fault === undefined).toBe(d.result.fault === undefined);
        const expected = new Map<number, bigint>();
        for (const u of d.adUpdates ?? []) {
          expect(u.before).toBe(
            (BigInt(before[Number(u.entryPaddr) / 4 + 1]) << 32n) | BigInt(before[Number(u.entryPaddr) / 4]),
          );
          expected.set(Number(u.entryPaddr), u.after);
        }
        for (let i = 0; i < ram.words.length; i += 2) {
          const now = ram.read64(i * 4);
          expect(now).toBe(expected.get(i * 4) ?? (BigInt(before[i + 1]) << 32n) | BigInt(before[i]));
        }
      }),
      { numRuns: 200 },
    );
  });
});

// ----------------------------------------------------------- page-table tables

const FLAG_SETS = [R, R | W, R | X, R | W | X, R | U, R | W | U, R | X | U, R | W | X | U, R | W | UC, R | U | UC];
const PAGES = 24; // 4 KiB VAs 0x1000 .. PAGES pages, plus two 2 MiB blocks and a 1 GiB block
const HUGE_VAS = [0x40_0000, 0x60_0000, 0x4000_0000];
const BIG_VAS = [...HUGE_VAS, 0xffff_8000_0000_0000n];

const pageVa = fc.oneof(
  fc.integer({ min: 1, max: PAGES }).map((p) => p * 4096),
  fc.constantFrom(...HUGE_VAS),
);
const anyVa = fc.oneof(
  pageVa.map((v) => v + 0x123),
  fc.constantFrom(0x40_1234, 0x7f_f000, 0x4123_4567, 0xffff_8000_0000_0040n, 0xffff_8000_0020_0000n),
);

type PtOp =
  | { op: 'map'; va: number; pa: number; flags: number }
  | { op: 'unmap'; va: number }
  | { op: 'protect'; va: number; flags: number }
  | { op: 'remap'; va: number; pa: number; flags: number }
  | { op: 'access'; va: number | bigint; access: Access }
  | { op: 'flush' };

const flagsArb = fc.constantFrom(...FLAG_SETS);
const paArb = fc.integer({ min: 0, max: 0xf_ffff }).map((f) => f * 0x4000_0000);
const ptOpArb: fc.Arbitrary<PtOp> = fc.oneof(
  fc.record({ op: fc.constant('map' as const), va: pageVa, pa: paArb, flags: flagsArb }),
  fc.record({ op: fc.constant('unmap' as const), va: pageVa }),
  fc.record({ op: fc.constant('protect' as const), va: pageVa, flags: flagsArb }),
  fc.record({ op: fc.constant('remap' as const), va: pageVa, pa: paArb, flags: flagsArb }),
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('access' as const), va: anyVa, access: fc.constantFrom(...ACCESSES) }),
  },
  fc.record({ op: fc.constant('flush' as const) }),
);

function sizeOf(va: number): PageSize {
  if (va === 0x4000_0000) return PageSize.Size1G;
  return va >= 0x40_0000 ? PageSize.Size2M : PageSize.Size4K;
}

function tryEdit(pt: PageTable64, o: PtOp): void {
  try {
    if (o.op === 'map') pt.map(o.va, o.pa, sizeOf(o.va), o.flags);
    else if (o.op === 'unmap') pt.unmap(o.va);
    else if (o.op === 'protect') pt.protect(o.va, o.flags);
    else if (o.op === 'remap') pt.remap(o.va, o.pa, o.flags);
  } catch (e) {
    if (!(e instanceof PagingError)) throw e;
  }
}

function ptMmu(cpl: number, la57 = false) {
  const ram = new RamHandler({ size: 1 << 16 });
  let mmu: X64Mmu | undefined;
  const flushTlb = (va: VirtAddr | undefined) => (va === undefined ? mmu?.writeCr3(mmu.cr3) : mmu?.invlpg(va));
  const pt: PageTable64 = la57 ? X64PageTable5.create(ram, { flushTlb }) : X64PageTable.create(ram, { flushTlb });
  pt.map(0xffff_8000_0000_0000n, 0x1_0000_0000, PageSize.Size2M, R | W);
  mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr3: pt.rootPaddr, cr4: la57 ? 0x10a0 : 0xa0, efer: 0xd00, cpl });
  return { ram, pt, mmu };
}

describe('X64Mmu over X64PageTable tables', () => {
  it('agrees with query for every permitted access, and faults exactly when the rights forbid it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ va: pageVa, pa: paArb, flags: flagsArb }), { maxLength: 12 }),
        fc.constantFrom(0, 3),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.tuple(anyVa, fc.constantFrom(...ACCESSES)), { minLength: 1, maxLength: 20 }),
        (maps, cpl, wp, la57, probes) => {
          const { pt, mmu } = ptMmu(cpl, la57);
          expect(mmu.pagingMode).toBe(la57 ? '5-level' : '4-level');
          mmu.cr0 = wp ? 0x8001_0011 : 0x8000_0011;
          for (const m of maps) tryEdit(pt, { op: 'map', ...m });
          for (const [va, access] of probes) {
            const q = pt.query(va);
            const r = mmu.translate(va, access);
            if (q === undefined) {
              expect(r.fault).toMatchObject({ vector: 14 });
              expect((r.fault?.errorCode ?? 0) & 1).toBe(0);
              continue;
            }
            // The codec's links are P|RW|US, so the leaf's flags decide (SDM §4.6).
            const user = cpl === 3;
            const uOk = !user || (q.flags & U) !== 0;
            const allowed = [uOk, uOk && ((q.flags & W) !== 0 || (!user && !wp)), uOk && (q.flags & X) !== 0][access];
            if (allowed) {
              expect(r).toEqual({
                paddr: q.paddr,
                size: q.size,
                // allowed implies uOk, so READ holds and EXECUTE is the leaf's (no SMEP here)
                flags: R | ((q.flags & W) !== 0 || (!user && !wp) ? W : 0) | (q.flags & (X | U | UC)),
              });
            } else {
              expect(r.fault).toEqual({
                vector: 14,
                errorCode:
                  1 | (access === Access.Write ? 2 : 0) | (user ? 4 : 0) | (access === Access.Execute ? 0x10 : 0),
                cr2: va,
              });
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('writes the reference model’s A/D bits on page-table-built tables, pages revisited across CPL changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ va: pageVa, pa: paArb, flags: flagsArb }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(0, 3),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...ACCESSES), fc.boolean()), { minLength: 1, maxLength: 30 }),
        (maps, cpl0, wp, la57, probes) => {
          const { ram, pt, mmu } = ptMmu(cpl0, la57);
          mmu.cr0 = wp ? 0x8001_0011 : 0x8000_0011;
          for (const m of maps) tryEdit(pt, { op: 'map', ...m });
          const ref = new RamHandler({ size: ram.size });
          ref.words.set(ram.words);
          const state: ModelState = {
            cr3: BigInt(pt.rootPaddr),
            la57,
            nxe: true,
            wp,
            smep: false,
            smap: false,
            ac: false,
            pke: false,
            pks: false,
            pkru: 0,
            pkrs: 0,
            cpl: cpl0,
            m: 52,
          };
          const vas: (number | bigint)[] = [...maps.map((m) => m.va + 0x123), 0xffff_8000_0000_0040n];
          for (const [i, access, toggle] of probes) {
            if (toggle) {
              state.cpl = 3 - state.cpl;
              mmu.cpl = state.cpl;
            }
            const va = vas[i % vas.length];
            expectSame(mmu.translate(va, access), modelTranslate(ref, state, BigInt(va), access, true));
            expect(sameWords(ram.words, ref.words)).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('TLB coherence: after edits and the page table’s INVLPG / CR3 flushes, every answer equals a fresh walk', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 3),
        fc.boolean(),
        fc.array(ptOpArb, { minLength: 1, maxLength: 60 }),
        (cpl, la57, ops) => {
          const { pt, mmu } = ptMmu(cpl, la57);
          const check = () => {
            for (const va of [...BIG_VAS, 0x1000, 0x2000, 0x3000, 0x4_1000, 0x40_1000, 0x60_2000]) {
              for (const access of ACCESSES) {
                const fresh = mmu.debugTranslate(va, access).result;
                expect(mmu.translate(va, access)).toEqual(fresh);
              }
            }
          };
          for (const o of ops) {
            if (o.op === 'access') mmu.translate(o.va, o.access);
            else if (o.op === 'flush') {
              pt.flush();
              check();
            } else tryEdit(pt, o);
          }
          pt.flush();
          check();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('PCID coherence: two address spaces switched with the no-flush bit never see each other’s translations', () => {
    const NOFLUSH = 1n << 63n;
    // Both spaces map the same four pages to different frames, and every op works on those pages.
    const few = fc.integer({ min: 1, max: 4 }).map((p) => p * 4096);
    const edit = fc.oneof(
      fc.record({ op: fc.constant('map' as const), va: few, pa: paArb, flags: flagsArb }),
      fc.record({ op: fc.constant('unmap' as const), va: few }),
      fc.record({ op: fc.constant('protect' as const), va: few, flags: flagsArb }),
      fc.record({ op: fc.constant('remap' as const), va: few, pa: paArb, flags: flagsArb }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            {
              weight: 4,
              arbitrary: fc.record({
                op: fc.constant('access' as const),
                va: few,
                access: fc.constantFrom(...ACCESSES),
              }),
            },
            {
              weight: 2,
              arbitrary: fc.record({
                op: fc.constant('switch' as const),
                to: fc.constantFrom(0, 1),
                keep: fc.boolean(),
              }),
            },
            fc.record({ op: fc.constant('edit' as const), edit }),
            fc.record({ op: fc.constant('editOther' as const), edit, single: fc.boolean() }),
          ),
          { minLength: 1, maxLength: 50 },
        ),
        (ops) => {
          const ram = new RamHandler({ size: 1 << 16 });
          const pts = [X64PageTable.create(ram), X64PageTable.create(ram)];
          for (const [i, pt] of pts.entries()) pt.mapRegion(0x1000, 0x10_0000 * (i + 1), 0x4000, R | W | U);
          const cr3 = pts.map((pt, i) => BigInt(pt.rootPaddr) | BigInt(i + 1));
          // CR4: PAE | PGE | PCIDE
          const mmu = new X64Mmu(ram, { cr0: 0x8001_0011, cr4: 0x2_00a0, cr3: cr3[0], efer: 0xd00, cpl: 3 });
          let cur = 0;
          for (const o of ops) {
            if (o.op === 'switch') {
              cur = o.to;
              mmu.writeCr3(o.keep ? cr3[cur] | NOFLUSH : cr3[cur]);
            } else if (o.op === 'access') {
              const fresh = mmu.debugTranslate(o.va, o.access).result;
              expect(mmu.translate(o.va, o.access)).toEqual(fresh);
            } else if (o.op === 'editOther') {
              // An edit of the inactive space, invalidated by INVPCID type 0 (the page) or 1 (the context).
              const other = 1 - cur;
              tryEdit(pts[other], o.edit);
              const pending = pts[other].pendingFlush;
              if (pending === 'full' || !o.single) expect(mmu.invpcid(1, other + 1)).toBeUndefined();
              else for (const va of pending) expect(mmu.invpcid(0, other + 1, va)).toBeUndefined();
              pts[other].flush();
            } else {
              tryEdit(pts[cur], o.edit);
              const pending = pts[cur].pendingFlush;
              if (pending === 'full') mmu.writeCr3(cr3[cur]);
              else for (const va of pending) mmu.invlpg(va);
              pts[cur].flush();
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
