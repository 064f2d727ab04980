/**
 * Model-based test: random sequences of every operation, on two tables in
 * one RAM with a few free frames, against the reference model. After every
 * step: the result or error kind matches, RAM is byte-identical after a
 * failed call, the leaves of both tables match, and the frames in use match.
 * At the end both tables are destroyed and no frame is left in use.
 *
 * Two operations check the contract beyond the model: `reenter`, a
 * `mapRegion` whose PA callback tries a modifying call on the same table
 * (which must throw `Busy` and change nothing, the region then behaving as
 * the model's), and `copyFromForeign`, a `copyFrom` over a root entry
 * planted with a link to a frame the allocator never handed out (which must
 * fail with RAM and frames exactly as before).
 */
import { isPagingError, PageSize, type PageTable64, PagingError, RamHandler } from '@page-table/core';
import { sameMemory } from '@page-table/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCHES, type ArchCase, canon, highHalfStart, lowHalfEnd } from './arches.js';
import { ModelError, MWorld } from './model.js';

const G = 1n << 30n;
const SPAN = [1, 512, 262144, 134217728, 68719476736];

/** Five VA bases in the halves the table translates: each half's start, 1 GiB in, its top 1 GiB. */
function bases(arch: ArchCase): bigint[] {
  const out: bigint[] = [];
  if (arch.halves.includes('low')) out.push(0n, G, lowHalfEnd(arch) - G);
  if (arch.halves.includes('high')) out.push(highHalfStart(arch), highHalfStart(arch) + G, (1n << 64n) - G);
  return out.concat(out).slice(0, 5);
}

const PA_BASE = [G, 1n << 32n, (1n << 40n) + G, (1n << 47n) - 4n * G];

const flagsArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 63 }) },
  { weight: 1, arbitrary: fc.constant(0) },
);
const vaArb = fc.record({ base: fc.nat(4), page: fc.oneof(fc.nat(1100), fc.constantFrom(0, 511, 512, 1023, 1024)) });
const levelArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.constant(2) },
);
const paArb = fc.record({ base: fc.nat(3), page: fc.nat(1100) });
const tArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) });
const pagesArb = fc.oneof(fc.integer({ min: 1, max: 1100 }), fc.constantFrom(512, 1024 + 3, 262144 + 5));

const opArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('map' as const),
      t: tArb,
      va: vaArb,
      pa: paArb,
      level: levelArb,
      flags: flagsArb,
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('unmap' as const), t: tArb, va: vaArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('protect' as const), t: tArb, va: vaArb, flags: flagsArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('remap' as const), t: tArb, va: vaArb, pa: paArb, flags: flagsArb }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('query' as const), t: tArb, va: vaArb, offset: fc.nat(0xfff) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('mapRegion' as const),
      t: tArb,
      va: vaArb,
      pa: paArb,
      pages: pagesArb,
      flags: flagsArb,
      huge: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('unmapRegion' as const), t: tArb, va: vaArb, pages: pagesArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('protectRegion' as const),
      t: tArb,
      va: vaArb,
      pages: pagesArb,
      flags: flagsArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copyFrom' as const), va: vaArb, pages: pagesArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('adopt' as const), t: tArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('reenter' as const),
      t: tArb,
      va: vaArb,
      pa: paArb,
      pages: fc.integer({ min: 1, max: 1100 }),
      flags: flagsArb,
      inner: fc.constantFrom(
        'map',
        'unmap',
        'protect',
        'remap',
        'mapRegion',
        'unmapRegion',
        'protectRegion',
        'copyFrom',
        'flush',
        'destroy',
      ),
      at: fc.nat(1100),
      escape: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copyFromForeign' as const), va: vaArb, pages: pagesArb }) },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Outcome of a call: a value, or an error kind. */
function attempt<T>(fn: () => T): { ok: T } | { err: string } {
  try {
    return { ok: fn() };
  } catch (e) {
    if (e instanceof PagingError || e instanceof ModelError) return { err: e.kind };
    throw e;
  }
}

/** Leaves of a real table as [VA, PA, size, flags]. */
function realLeaves(pt: PageTable64): Array<[bigint, bigint, number, number]> {
  const out: Array<[bigint, bigint, number, number]> = [];
  pt.walk((e) => {
    if (e.leaf) out.push([BigInt(e.va), BigInt(e.paddr), e.size, e.flags]);
  });
  return out;
}

/** The VA the walker reports for a table position (sign-extended above the arch's width). */
function positionVa(arch: ArchCase, vpn: number): bigint {
  const va = BigInt(vpn) << 12n;
  return va >= lowHalfEnd(arch) || !arch.halves.includes('low') ? va | highHalfStart(arch) : va;
}

function run(arch: ArchCase, capacity: number, ops: Op[], order: boolean): void {
  const ram = new RamHandler({ base: 0, size: 512 << 10, allocRange: [0x1000, 0x1000 + capacity * 4096] });
  let world = new MWorld(arch, capacity);
  world.newTable();
  world.newTable();
  const tables = [arch.create(ram), arch.create(ram)];
  const vaOf = (v: { base: number; page: number }, level = 0) =>
    bases(arch)[v.base] + BigInt(level === 0 ? v.page : v.page % 3) * (BigInt(SPAN[level]) << 12n);
  const paOf = (p: { base: number; page: number }, level = 0) =>
    PA_BASE[p.base] + BigInt(level === 0 ? p.page : p.page % 3) * (BigInt(SPAN[level]) << 12n);
  const vpnOf = (va: bigint) => Number(va >> 12n);

  for (const op of ops) {
    const next = world.clone();
    const [ma, mb] = next.tables;
    const t = 't' in op ? op.t : 0;
    const pt = tables[t];
    const mt = t === 0 ? ma : mb;
    const before = ram.words.slice();
    let real: { ok: unknown } | { err: string };
    let model: { ok: unknown } | { err: string };
    switch (op.op) {
      case 'map': {
        const level = op.level;
        const va = level === 2 ? bases(arch)[op.va.base] : vaOf(op.va, level);
        const pa = paOf(op.pa, level);
        real = attempt(() => pt.map(canon(va), canon(pa), (SPAN[level] * 4096) as 4096, op.flags));
        model = attempt(() => next.map(mt, vpnOf(va), vpnOf(pa), level, op.flags));
        break;
      }
      case 'unmap': {
        const va = vaOf(op.va);
        real = attempt(() => {
          const r = pt.unmap(canon(va));
          return [BigInt(r.paddr), r.flags, r.size];
        });
        model = attempt(() => {
          const r = next.unmap(mt, vpnOf(va));
          return [BigInt(r.frame) << 12n, r.flags, SPAN[r.level] * 4096];
        });
        break;
      }
      case 'protect': {
        const va = vaOf(op.va);
        real = attempt(() => pt.protect(canon(va), op.flags));
        model = attempt(() => SPAN[next.protect(mt, vpnOf(va), op.flags)] * 4096);
        break;
      }
      case 'remap': {
        const va = vaOf(op.va);
        const pa = paOf(op.pa);
        real = attempt(() => pt.remap(canon(va), canon(pa), op.flags));
        model = attempt(() => SPAN[next.remap(mt, vpnOf(va), vpnOf(pa), op.flags)] * 4096);
        break;
      }
      case 'query': {
        const va = vaOf(op.va) + BigInt(op.offset);
        const r = pt.query(canon(va));
        real = { ok: r && [BigInt(r.paddr), r.flags, r.size] };
        const m = next.lookup(mt, vpnOf(va));
        const off = va & ((BigInt(SPAN[m.level]) << 12n) - 1n);
        model = { ok: m.leaf && [(BigInt(m.leaf.frame) << 12n) + off, m.leaf.flags, SPAN[m.level] * 4096] };
        const fast = pt.queryPa(canon(va));
        expect(fast === -1 ? undefined : BigInt(fast)).toEqual(
          m.leaf ? (BigInt(m.leaf.frame) << 12n) + off : undefined,
        );
        break;
      }
      case 'mapRegion': {
        const va = vaOf(op.va);
        const pa = op.huge ? PA_BASE[op.pa.base] : paOf(op.pa);
        real = attempt(() => pt.mapRegion(canon(va), canon(pa), op.pages * 4096, op.flags, op.huge));
        model = attempt(() => next.mapRegion(mt, vpnOf(va), op.pages, vpnOf(pa), op.flags, op.huge));
        break;
      }
      case 'unmapRegion': {
        const va = vaOf(op.va);
        real = attempt(() => pt.unmapRegion(canon(va), op.pages * 4096));
        model = attempt(() => next.unmapRegion(mt, vpnOf(va), op.pages));
        break;
      }
      case 'protectRegion': {
        const va = vaOf(op.va);
        real = attempt(() => pt.protectRegion(canon(va), op.pages * 4096, op.flags));
        model = attempt(() => next.protectRegion(mt, vpnOf(va), op.pages, op.flags));
        break;
      }
      case 'copyFrom': {
        const va = vaOf(op.va);
        real = attempt(() => tables[0].copyFrom(tables[1], canon(va), op.pages * 4096));
        model = attempt(() => next.copyFrom(ma, mb, vpnOf(va), op.pages));
        break;
      }
      case 'reenter': {
        // The inner call at step `at` must be Busy; let through (`escape`), it fails the region.
        const va = vaOf(op.va);
        const pa = paOf(op.pa);
        const other = tables[1 - t];
        const innerCalls: Record<string, () => unknown> = {
          map: () => pt.map(canon(va), canon(pa), PageSize.Size4K, 3),
          unmap: () => pt.unmap(canon(va)),
          protect: () => pt.protect(canon(va), 1),
          remap: () => pt.remap(canon(va), canon(pa), 1),
          mapRegion: () => pt.mapRegion(canon(va), canon(pa), 0x1000, 3),
          unmapRegion: () => pt.unmapRegion(canon(va), 0x1000),
          protectRegion: () => pt.protectRegion(canon(va), 0x1000, 1),
          copyFrom: () => (t === 0 ? pt.copyFrom(other, canon(va), 0x1000) : other.copyFrom(pt, canon(va), 0x1000)),
          flush: () => pt.flush(),
          destroy: () => pt.destroy(),
        };
        let step = 0;
        let innerKind = 'not called';
        real = attempt(() =>
          pt.mapRegion(
            canon(va),
            (v) => {
              if (step++ === op.at % op.pages) {
                try {
                  innerCalls[op.inner]();
                  innerKind = 'ok';
                } catch (e) {
                  innerKind = isPagingError(e) ? e.kind : String(e);
                  if (op.escape) throw e;
                }
              }
              return canon(pa + ((BigInt(v) - va) & ((1n << 64n) - 1n)));
            },
            op.pages * 4096,
            op.flags,
          ),
        );
        model = attempt(() => next.mapRegion(mt, vpnOf(va), op.pages, vpnOf(pa), op.flags, false));
        if (innerKind !== 'not called') {
          expect(innerKind, `inner ${op.inner} from a mapRegion callback`).toBe('Busy');
          if (op.escape) model = { err: 'Busy' };
        }
        break;
      }
      case 'copyFromForeign': {
        // A link to the last frame of RAM (outside the allocator's range) in an empty root entry of table 0.
        const va = vaOf(op.va);
        const start = vpnOf(va);
        const top = arch.levels - 1;
        const first = Math.floor(start / SPAN[top]) % 512;
        const last = Math.floor((start + op.pages - 1) / SPAN[top]) % 512;
        const root = ram.frameWord(Number(BigInt(tables[0].rootPaddr)) / 4096);
        let slot = -1;
        for (let i = first; i <= last && slot < 0; i++)
          if ((ram.words[root + 2 * i] | ram.words[root + 2 * i + 1]) === 0) slot = i;
        if (slot < 0) {
          real = model = { ok: undefined };
          break;
        }
        const foreign = BigInt(ram.size - 4096);
        const pte = tables[0].meta.pte;
        pte.encodeTable(Number(foreign >> 12n));
        const plant = [pte.lo, pte.hi];
        ram.words[root + 2 * slot] = plant[0];
        ram.words[root + 2 * slot + 1] = plant[1];
        const planted = ram.words.slice();
        const e = attempt(() => tables[0].copyFrom(tables[1], canon(va), op.pages * 4096));
        expect(e, 'copyFrom over a foreign frame').toEqual({ err: 'InvalidAddress' });
        expect(sameMemory(ram.words, planted), 'RAM changed by the failed copyFrom').toBe(true);
        ram.words[root + 2 * slot] = 0;
        ram.words[root + 2 * slot + 1] = 0;
        real = model = { ok: undefined };
        break;
      }
      case 'adopt': {
        const adopted = arch.fromRoot(ram, pt.rootPaddr);
        expect(realLeaves(adopted)).toEqual(realLeaves(pt));
        adopted.destroy();
        real = model = { ok: undefined };
        break;
      }
    }
    expect(real, `${arch.name}: ${JSON.stringify(op)}`).toEqual(model);
    if ('err' in real) expect(sameMemory(ram.words, before), `RAM changed by failed ${op.op}`).toBe(true);
    else world = next;
    for (const [i, pt2] of tables.entries()) {
      const expected = world
        .leaves(world.tables[i])
        .map(([vpn, frame, level, flags]) => [positionVa(arch, vpn), BigInt(frame) << 12n, SPAN[level] * 4096, flags]);
      expect(realLeaves(pt2)).toEqual(expected);
    }
    expect(ram.framesInUse).toBe(world.live);
  }
  const [first, second] = order ? [0, 1] : [1, 0];
  tables[first].destroy();
  tables[second].destroy();
  expect(ram.framesInUse).toBe(0);
}

describe('model-based: random operation sequences match the reference model', () => {
  for (const arch of ARCHES) {
    it(arch.name, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 40 }),
          fc.array(opArb, { maxLength: 30 }),
          fc.boolean(),
          (capacity, ops, order) => run(arch, capacity, ops, order),
        ),
        { numRuns: Number(process.env.MODEL_RUNS ?? 60) },
      );
    });
  }
});
