// Conformance with the executed encodings of page_table_entry 0.6.1's A64PTE
// (test/fixtures): every aarch64 record, in the default (EL1&0) build and in
// the `arm-el2` build.
import { MappingFlags } from '@page-table/core';
import { loadVectors, type VectorPageRecord, type VectorRecord } from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import { A64_EL2_METADATA, A64_METADATA, A64PTE, DescriptorAttr, MAIR_VALUE } from '../src/index.js';

interface VectorFile {
  aarch64: VectorRecord[];
  aarch64_MAIR_VALUE: string;
}

function load(name: string): VectorFile {
  return loadVectors<VectorFile>(new URL(`./fixtures/${name}`, import.meta.url));
}

const RWXU = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;

const files = [
  { name: 'pte-v0.6.1.json', pte: A64_METADATA.pte as A64PTE, regime: 'el1' },
  { name: 'pte-v0.6.1-arm-el2.json', pte: A64_EL2_METADATA.pte as A64PTE, regime: 'el2' },
] as const;

describe.each(files)('$name ($regime)', ({ name, pte, regime }) => {
  const file = load(name);
  const records = file.aarch64;

  it('uses the regime of the build', () => {
    expect(pte).toBeInstanceOf(A64PTE);
    expect(pte.regime).toBe(regime);
  });

  it('holds every flag combination, 4K and huge, at each PA', () => {
    const pages = records.filter((r): r is VectorPageRecord => r.op === 'new_page');
    const pas = new Set(pages.map((r) => r.pa));
    expect(pas.size).toBeGreaterThanOrEqual(3);
    expect(pages.length).toBe(pas.size * 128);
    expect(records.length - pages.length).toBe(pas.size);
  });

  it('MAIR_VALUE matches aarch64_MAIR_VALUE', () => {
    expect(MAIR_VALUE).toBe(Number(file.aarch64_MAIR_VALUE));
  });

  it('new_table records: bits, paddr, flags, present, huge, unused', () => {
    for (const r of records) {
      if (r.op !== 'new_table') continue;
      const bits = pte.newTable(BigInt(r.pa));
      expect(bits, r.pa).toBe(BigInt(r.bits));
      expect(BigInt(pte.paddr(bits))).toBe(BigInt(r.paddr));
      expect(pte.flags(bits)).toBe(r.flags);
      expect(pte.isPresent(bits)).toBe(r.present);
      expect(pte.isHuge(bits)).toBe(r.huge);
      expect(pte.isUnused(bits)).toBe(r.unused);
      const lo = Number(bits & 0xffff_ffffn);
      const hi = Number(bits >> 32n);
      expect(pte.table(lo, hi)).toBe(true);
    }
  });

  it('new_page records: bits, paddr, out_flags, present, unused, set_flags_bits', () => {
    let n = 0;
    for (const r of records) {
      if (r.op !== 'new_page') continue;
      const what = `pa=${r.pa} flags=${r.in_flags} huge=${r.huge}`;
      const bits = pte.newPage(BigInt(r.pa), r.in_flags, r.huge);
      expect(bits, what).toBe(BigInt(r.bits));
      expect(BigInt(pte.paddr(bits)), what).toBe(BigInt(r.paddr));
      expect(pte.flags(bits), what).toBe(r.out_flags);
      expect(pte.isPresent(bits), what).toBe(r.present);
      expect(pte.isUnused(bits), what).toBe(r.unused);
      const full = pte.newPage(BigInt(r.pa), RWXU, r.huge);
      expect(pte.setFlags(full, r.in_flags, r.huge), what).toBe(BigInt(r.set_flags_bits));
      n++;
    }
    expect(n).toBeGreaterThan(0);
  });

  it('new_page records: is_huge, except the documented deviation for invalid descriptors', () => {
    let deviations = 0;
    for (const r of records) {
      if (r.op !== 'new_page') continue;
      const what = `pa=${r.pa} flags=${r.in_flags} huge=${r.huge}`;
      const bits = pte.newPage(BigInt(r.pa), r.in_flags, r.huge);
      const ours = pte.isHuge(bits);
      // Upstream's is_huge is "bit 1 (NON_BLOCK) clear", even when VALID is clear.
      const upstream = (bits & DescriptorAttr.NON_BLOCK) === 0n;
      expect(upstream, what).toBe(r.is_huge);
      if (r.present) {
        expect(ours, what).toBe(r.is_huge);
      } else {
        // Deviation: an invalid descriptor is never a block (ours false, upstream true for a `x0` with bit 1 clear).
        expect(ours, what).toBe(false);
        if (r.is_huge) deviations++;
      }
    }
    // Exactly the READ-less leaves written with huge=true: 32 flag sets x 3 PAs.
    expect(deviations).toBe(96);
  });

  it('the half-word predicates agree with the bigint ones on every record', () => {
    for (const r of records) {
      const bits = BigInt(r.bits);
      const lo = Number(bits & 0xffff_ffffn);
      const hi = Number(bits >> 32n);
      expect(pte.present(lo, hi)).toBe(r.present);
      expect(pte.frame(lo, hi) * 4096).toBe(Number(BigInt(r.paddr)));
      expect(pte.table(lo, hi)).toBe((lo & 3) === 3);
      expect(pte.huge(lo, hi)).toBe((lo & 3) === 1);
    }
  });
});
