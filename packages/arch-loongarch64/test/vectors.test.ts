import { MappingFlags } from '@page-table/core';
import { loadVectors, type VectorPageRecord, type VectorTableRecord } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import { LA64_PTE } from '../src/index.js';

const all = loadVectors(new URL('./fixtures/pte-v0.6.1.json', import.meta.url));
const records = all.loongarch64;
const tables = records.filter((r): r is VectorTableRecord => r.op === 'new_table');
const pages = records.filter((r): r is VectorPageRecord => r.op === 'new_page');

const RWXU = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
const HGLOBAL = 1n << 12n;

/** Upstream puts PA bit 12 into a huge leaf, where the hardware reads it as HGLOBAL; we never do. */
function isHGlobalDeviation(r: VectorPageRecord): boolean {
  return r.huge && (BigInt(r.pa) & HGLOBAL) !== 0n;
}

const pte = LA64_PTE;
const name = (r: VectorPageRecord) => `pa=${r.pa} huge=${r.huge} flags=${r.in_flags}`;

describe('loongarch64 vectors (page_table_entry 0.6.1)', () => {
  it('holds every record: 3 tables and 64 flag sets × {4K, huge} × 3 PAs', () => {
    expect(records.length).toBe(387);
    expect(tables.length).toBe(3);
    expect(pages.length).toBe(384);
    expect(new Set(pages.map((r) => r.in_flags)).size).toBe(64);
  });

  it('new_table: a bare address, not present, not huge, a table link', () => {
    for (const r of tables) {
      const bits = pte.newTable(BigInt(r.pa));
      expect(bits).toBe(BigInt(r.bits));
      expect(pte.paddr(bits)).toBe(Number(r.paddr));
      expect(pte.flags(bits)).toBe(r.flags);
      expect(pte.isPresent(bits)).toBe(r.present);
      expect(pte.isHuge(bits)).toBe(r.huge);
      expect(pte.isUnused(bits)).toBe(r.unused);
      expect(pte.table(Number(bits & 0xffff_ffffn), Number(bits >> 32n))).toBe(true);
    }
  });

  for (const pa of [...new Set(pages.map((r) => r.pa))]) {
    for (const huge of [false, true]) {
      const group = pages.filter((r) => r.pa === pa && r.huge === huge && !isHGlobalDeviation(r));
      if (group.length === 0) continue;
      it(`new_page / set_flags at ${pa}, huge=${huge}: bit-exact (${group.length} records)`, () => {
        for (const r of group) {
          const bits = pte.newPage(BigInt(r.pa), r.in_flags, r.huge);
          expect(bits, name(r)).toBe(BigInt(r.bits));
          expect(pte.paddr(bits), name(r)).toBe(Number(r.paddr));
          expect(pte.flags(bits), name(r)).toBe(r.out_flags);
          expect(pte.isPresent(bits), name(r)).toBe(r.present);
          expect(pte.isHuge(bits), name(r)).toBe(r.is_huge);
          expect(pte.isUnused(bits), name(r)).toBe(r.unused);
          const set = pte.setFlags(pte.newPage(BigInt(r.pa), RWXU, r.huge), r.in_flags, r.huge);
          expect(set, name(r)).toBe(BigInt(r.set_flags_bits));
        }
      });
    }
  }
});

describe('deliberate difference: a huge leaf never holds PA bit 12 (it is HGLOBAL there)', () => {
  const deviating = pages.filter(isHGlobalDeviation);

  it('concerns exactly the 64 huge records at the unaligned PA 0x1000', () => {
    expect(deviating.length).toBe(64);
    expect(new Set(deviating.map((r) => r.pa))).toEqual(new Set(['0x1000']));
  });

  it('encodes without bit 12 where upstream sets it (making the block global on hardware)', () => {
    for (const r of deviating) {
      const upstream = BigInt(r.bits);
      expect(upstream & HGLOBAL, name(r)).toBe(HGLOBAL); // upstream's value, replaced
      const bits = pte.newPage(BigInt(r.pa), r.in_flags, true);
      expect(bits, name(r)).toBe(upstream & ~HGLOBAL); // ours
      // Everything else reads back as upstream's.
      expect(pte.flags(bits), name(r)).toBe(r.out_flags);
      expect(pte.isPresent(bits), name(r)).toBe(r.present);
      expect(pte.isHuge(bits), name(r)).toBe(r.is_huge);
      expect(pte.isUnused(bits), name(r)).toBe(r.unused);
      // set_flags: upstream keeps bit 12 from the address field; ours drops it too.
      const upstreamSet = BigInt(r.set_flags_bits);
      expect(upstreamSet & HGLOBAL, name(r)).toBe(HGLOBAL);
      const set = pte.setFlags(pte.newPage(BigInt(r.pa), RWXU, true), r.in_flags, true);
      expect(set, name(r)).toBe(upstreamSet & ~HGLOBAL);
    }
  });

  it("reads upstream's own bits as upstream does (the walker, not the codec, aligns a block's PA)", () => {
    for (const r of deviating) {
      const bits = BigInt(r.bits);
      expect(pte.paddr(bits), name(r)).toBe(Number(r.paddr));
      expect(pte.flags(bits), name(r)).toBe(r.out_flags);
      expect(pte.isPresent(bits), name(r)).toBe(r.present);
      expect(pte.isHuge(bits), name(r)).toBe(r.is_huge);
    }
  });
});
