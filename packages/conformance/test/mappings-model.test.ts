/**
 * `mappings()`, `walk()` and `aliases()` against a simple reference model on
 * random raw trees with sharing: a handful of table frames whose entries
 * link to each other (aliasing, cycles, self-links), to frames outside
 * memory, or hold leaves. The model walks every path recursively, counts
 * the budget, and computes effective permissions its own way: it merges the
 * table links' bits into the leaf's 64-bit value as the hardware does and
 * decodes that, never calling the codec's restriction hooks.
 */
import { type Mapping, PagingError, RamHandler, WalkBudgetError, type WalkEntry } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCHES, type ArchCase, accepts } from './arches.js';

/** How table links restrict the leaves below, as bit operations on raw entries (the data of each manual). */
interface TableRule {
  /** Bits a generated link may carry or lose: [mask, set?] (set: OR the mask in; else clear it). */
  modifiers: ReadonlyArray<readonly [bigint, boolean]>;
  /** The leaf as the CPU sees it under `links` (root first). */
  merge(leaf: bigint, links: readonly bigint[]): bigint;
}

const bit = (n: number) => 1n << BigInt(n);
const any = (links: readonly bigint[], b: bigint) => links.some((l) => (l & b) !== 0n);

// x86_64 (SDM 4.6.1): writes need R/W at every level, user access U/S at every level; XD at any level forbids fetches.
const X86: TableRule = {
  modifiers: [
    [bit(1), false],
    [bit(2), false],
    [bit(63), true],
  ],
  merge(leaf, links) {
    let e = leaf;
    if (links.some((l) => (l & bit(1)) === 0n)) e &= ~bit(1);
    if (links.some((l) => (l & bit(2)) === 0n)) e &= ~bit(2);
    if (any(links, bit(63))) e |= bit(63);
    return e;
  },
};
// AArch64 EL1&0 (MMU.md §4.2 step 1): APTable[1] forces AP[2], APTable[0] clears AP[1], UXNTable → UXN, PXNTable → PXN.
const A64_EL1: TableRule = {
  modifiers: [59, 60, 61, 62].map((n) => [bit(n), true] as const),
  merge(leaf, links) {
    let e = leaf;
    if (any(links, bit(62))) e |= bit(7);
    if (any(links, bit(61))) e &= ~bit(6);
    if (any(links, bit(60))) e |= bit(54);
    if (any(links, bit(59))) e |= bit(53);
    return e;
  },
};
// AArch64 EL2 (one privilege level): APTable[0] and PXNTable are RES0; bit 60 is XNTable.
const A64_EL2: TableRule = {
  modifiers: [59, 60, 61, 62].map((n) => [bit(n), true] as const),
  merge(leaf, links) {
    let e = leaf;
    if (any(links, bit(62))) e |= bit(7);
    if (any(links, bit(60))) e |= bit(54);
    return e;
  },
};
// RISC-V and LoongArch: non-leaf entries carry no permissions; the leaf alone decides.
const LEAF_ONLY: TableRule = { modifiers: [], merge: (leaf) => leaf };

function ruleOf(arch: ArchCase): TableRule {
  if (arch.name.startsWith('x86_64')) return X86;
  if (arch.name === 'aarch64 EL2') return A64_EL2;
  if (arch.name.startsWith('aarch64')) return A64_EL1;
  return LEAF_ONLY;
}

const TABLES = 6; // table frames 1..6; the root is frame 1
const RAM_FRAMES = 16; // frames 7..15 are zero; frames from 16 on are outside memory
const INDEXES = [0, 1, 2, 255, 256, 511];

type Slot =
  | { kind: 'link'; to: number; mods: number }
  | { kind: 'outside'; to: number }
  | { kind: 'leaf'; pa: number; flags: number; huge: boolean }
  | { kind: 'junk'; value: number };

const slotArb: fc.Arbitrary<Slot> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('link' as const),
      to: fc.integer({ min: 1, max: TABLES }),
      mods: fc.nat(15),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('outside' as const), to: fc.integer({ min: RAM_FRAMES, max: 1 << 20 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('leaf' as const),
      pa: fc.nat(40),
      flags: fc.integer({ min: 1, max: 63 }),
      huge: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('junk' as const), value: fc.nat() }) },
);
const treeArb = fc.array(
  fc.array(fc.option(slotArb, { nil: undefined }), { minLength: INDEXES.length, maxLength: INDEXES.length }),
  {
    minLength: TABLES,
    maxLength: TABLES,
  },
);
// No budget (the default), or one that small trees may or may not use up.
const budgetArb = fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 40 }));

/** Writes the random tree into RAM as raw entries, through the codec's own encoders. */
function build(
  arch: ArchCase,
  tree: (Slot | undefined)[][],
): { ram: RamHandler; pt: ReturnType<ArchCase['fromRoot']> } {
  const ram = new RamHandler({ base: 0, size: RAM_FRAMES * 4096 });
  const pt = arch.fromRoot(ram, 0x1000);
  const pte = pt.meta.pte;
  const rule = ruleOf(arch);
  tree.forEach((slots, t) => {
    slots.forEach((s, k) => {
      if (s === undefined) return;
      let e: bigint;
      if (s.kind === 'link' || s.kind === 'outside') {
        e = pte.newTable(s.to * 4096);
        if (s.kind === 'link') {
          rule.modifiers.forEach(([mask, set], i) => {
            if (s.mods & (1 << i)) e = set ? e | mask : e & ~mask;
          });
        }
      } else if (s.kind === 'leaf') {
        // Adjacent slots with adjacent PAs give runs to merge.
        const flags = accepts(arch, s.flags) ? s.flags : 1;
        e = pte.newPage(s.pa * 0x20_0000 + (s.pa % 3) * 4096, flags, s.huge);
      } else {
        // A value with the valid/present bit clear (or whatever the codec makes of it).
        e = BigInt(s.value) << 2n;
      }
      ram.write64((t + 1) * 4096 + INDEXES[k] * 8, e);
    });
  });
  return { ram, pt };
}

interface Leaf {
  vpn: number;
  frame: number;
  level: number;
  flags: number;
  own: number;
}

/** The reference: every path, recursively, in index order, each present entry counted against the budget. */
function reference(arch: ArchCase, ram: RamHandler, pt: ReturnType<ArchCase['fromRoot']>, budget: number) {
  const pte = pt.meta.pte;
  const rule = ruleOf(arch);
  const leaves: Leaf[] = [];
  const entries: { vpn: number; level: number; leaf: boolean; outside: boolean; flags: number; own: number }[] = [];
  const reaches = new Map<number, { referrers: Set<string>; count: number }>();
  reaches.set(1, { referrers: new Set(['root']), count: 1 });
  let stop: number | undefined;
  const span = (level: number) => 512 ** level;
  const visit = (frame: number, level: number, first: number, links: bigint[]): void => {
    for (let i = 0; i < 512 && stop === undefined; i++) {
      const e = ram.read64(frame * 4096 + i * 8);
      const lo = Number(e & 0xffff_ffffn);
      const hi = Number(e >> 32n);
      const vpn = first + i * span(level);
      const isTable = level > 0 && pte.table(lo, hi);
      const isLeaf = !isTable && level <= 2 && (level === 0 ? pte.page(lo, hi) : pte.present(lo, hi));
      if (!isTable && !isLeaf) continue;
      if (entries.length === budget) {
        stop = vpn;
        return;
      }
      if (isLeaf) {
        const raw = pte.frame(lo, hi);
        const own = pte.flags(e);
        const flags = pte.flags(rule.merge(e, links));
        leaves.push({ vpn, frame: raw - (raw % span(level)), level, flags, own });
        entries.push({ vpn, level, leaf: true, outside: false, flags, own });
        continue;
      }
      const to = pte.frame(lo, hi);
      const outside = to >= RAM_FRAMES;
      entries.push({ vpn, level, leaf: false, outside, flags: 0, own: 0 });
      if (outside) continue;
      const r = reaches.get(to) ?? { referrers: new Set<string>(), count: 0 };
      r.referrers.add(`${frame}:${i}`);
      r.count++;
      reaches.set(to, r);
      visit(to, level - 1, vpn, [...links, e]);
    }
  };
  visit(1, pt.meta.levels - 1, 0, []);
  return { leaves, entries, stop, reaches };
}

/** Runs merged the plain way: adjacent VA and PA, same level, same flags, not across the canonical hole. */
function merge(
  arch: ArchCase,
  leaves: Leaf[],
): { vpn: number; frame: number; pages: number; level: number; flags: number; own: number }[] {
  const hole = arch.vaCheck === 'sign-extend' ? 2 ** (arch.vaBits - 13) : -1;
  const out: { vpn: number; frame: number; pages: number; level: number; flags: number; own: number }[] = [];
  for (const l of leaves) {
    const last = out[out.length - 1];
    if (
      last &&
      last.level === l.level &&
      last.flags === l.flags &&
      last.own === l.own &&
      last.vpn + last.pages === l.vpn &&
      last.frame + last.pages === l.frame &&
      l.vpn !== hole
    ) {
      last.pages += 512 ** l.level;
    } else {
      out.push({ ...l, pages: 512 ** l.level });
    }
  }
  return out;
}

/** The VA of a page number, computed in bigints from the arch's VA rule. */
function vaOf(arch: ArchCase, vpn: number): bigint {
  const v = BigInt(vpn) << 12n;
  const top = arch.vaCheck === 'sign-extend' ? arch.vaBits - 1 : arch.vaBits;
  const high = ((1n << 64n) - 1n) ^ ((1n << BigInt(top)) - 1n);
  if (arch.vaCheck === 'top-bits-upper' || (arch.vaCheck === 'sign-extend' && (v >> BigInt(top)) & 1n)) return v | high;
  return v;
}

/** Everything a call yields or reports before it throws, and what it threw. */
function collect<T>(run: (push: (x: T) => void) => void): { items: T[]; error: unknown } {
  const items: T[] = [];
  try {
    run((x) => items.push(x));
    return { items, error: undefined };
  } catch (e) {
    return { items, error: e };
  }
}

describe.each(ARCHES.map((a) => [a.name, a] as const))(
  '%s: enumeration equals the reference walk of every path',
  (_name, arch) => {
    it('mappings(), walk() and aliases() on random shared, cyclic and hostile trees, budget included', () => {
      // What the random cases covered, so the property cannot pass on trivial trees.
      const seen = { runs: 0, restricted: 0, stopped: 0, aliased: 0, outside: 0 };
      fc.assert(
        fc.property(treeArb, budgetArb, (tree, maxEntries) => {
          const { ram, pt } = build(arch, tree);
          const ref = reference(arch, ram, pt, maxEntries ?? Number.POSITIVE_INFINITY);
          const options = maxEntries === undefined ? undefined : { maxEntries };

          const got = collect<Mapping>((push) => {
            for (const m of pt.mappings(options)) push(m);
          });
          const want = merge(arch, ref.leaves).map((r) => ({
            va: vaOf(arch, r.vpn),
            pa: BigInt(r.frame) * 4096n,
            size: r.pages * 4096,
            pageSize: 4096 * 512 ** r.level,
            flags: r.flags,
            leafFlags: r.own === r.flags ? undefined : r.own,
          }));
          expect(got.items.map((m) => ({ ...m, va: BigInt(m.va), pa: BigInt(m.pa) }))).toEqual(want);

          const walked = collect<WalkEntry>((push) => pt.walk(push, options));
          expect(
            walked.items.map((e) => ({
              va: BigInt(e.va),
              level: e.level,
              leaf: e.leaf,
              outside: e.outside,
              flags: e.flags,
              own: e.leafFlags ?? e.flags,
            })),
          ).toEqual(
            ref.entries.map((e) => ({
              va: vaOf(arch, e.vpn),
              level: e.level,
              leaf: e.leaf,
              outside: e.outside,
              flags: e.flags,
              own: e.own,
            })),
          );

          for (const { error } of [got, walked]) {
            if (ref.stop === undefined) {
              expect(error).toBeUndefined();
            } else {
              expect(error).toBeInstanceOf(WalkBudgetError);
              expect(error).toBeInstanceOf(PagingError);
              const e = error as WalkBudgetError;
              expect([e.kind, e.entries, BigInt(e.stoppedAt)]).toEqual([
                'BudgetExceeded',
                maxEntries,
                vaOf(arch, ref.stop),
              ]);
            }
          }

          seen.runs += want.length;
          seen.restricted += want.filter((m) => m.leafFlags !== undefined).length;
          seen.stopped += ref.stop === undefined ? 0 : 1;
          seen.outside += ref.entries.filter((e) => e.outside).length;
          if (ref.stop === undefined) {
            const shared = [...ref.reaches]
              .filter(([, r]) => r.referrers.size >= 2)
              .map(([frame, r]) => [frame * 4096, r.count]);
            expect(pt.aliases().map((a) => [Number(a.paddr), a.reaches.length])).toEqual(shared);
            seen.aliased += shared.length;
          }
        }),
        { numRuns: 150 },
      );
      expect(Math.min(seen.runs, seen.stopped, seen.aliased, seen.outside)).toBeGreaterThan(10);
      if (ruleOf(arch).modifiers.length > 0) expect(seen.restricted).toBeGreaterThan(10);
    });
  },
);
