import { pa } from '@page-table/memory-addr';
import { loadVectors, type VectorPageRecord, type VectorTableRecord } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import { X64_PTE } from '../src/index.js';

const vectors = loadVectors(new URL('./fixtures/pte-v0.6.1.json', import.meta.url));
const records = vectors.x86_64;
const tables = records.filter((r): r is VectorTableRecord => r.op === 'new_table');
const pages = records.filter((r): r is VectorPageRecord => r.op === 'new_page');
const RWXU = 0b1111;

const pte = X64_PTE;

describe('x86_64 vectors of page_table_entry 0.6.1', () => {
  it('covers every flag combination, 4K and huge, at each PA', () => {
    expect(records.length).toBe(387);
    expect(tables.length).toBe(3);
    expect(pages.length).toBe(384);
    for (const at of new Set(pages.map((r) => r.pa))) {
      for (const huge of [false, true]) {
        const seen = pages.filter((r) => r.pa === at && r.huge === huge).map((r) => r.in_flags);
        expect(new Set(seen).size).toBe(64);
      }
    }
  });

  it.each(tables.map((r) => [r.pa, r] as const))('new_table(%s)', (_name, r) => {
    const bits = pte.newTable(BigInt(r.pa));
    expect(bits).toBe(BigInt(r.bits));
    expect(pte.paddr(bits)).toBe(pa(BigInt(r.paddr)));
    expect(pte.flags(bits)).toBe(r.flags);
    expect(pte.isPresent(bits)).toBe(r.present);
    expect(pte.isHuge(bits)).toBe(r.huge);
    expect(pte.isUnused(bits)).toBe(r.unused);
  });

  it.each(pages.map((r) => [r.pa, r.in_flags, r.huge, r] as const))(
    'new_page(%s, flags %i, huge %s)',
    (_pa, _flags, _huge, r) => {
      const bits = pte.newPage(BigInt(r.pa), r.in_flags, r.huge);
      expect(bits).toBe(BigInt(r.bits));
      expect(pte.paddr(bits)).toBe(pa(BigInt(r.paddr)));
      expect(pte.flags(bits)).toBe(r.out_flags);
      expect(pte.isPresent(bits)).toBe(r.present);
      expect(pte.isHuge(bits)).toBe(r.is_huge);
      expect(pte.isUnused(bits)).toBe(r.unused);
      const reflagged = pte.setFlags(pte.newPage(BigInt(r.pa), RWXU, r.huge), r.in_flags, r.huge);
      expect(reflagged).toBe(BigInt(r.set_flags_bits));
    },
  );
});
