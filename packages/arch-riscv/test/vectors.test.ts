/**
 * Conformance with the Rust crate: every riscv record of the executed
 * page_table_entry 0.6.1 vectors, default features and `xuantie-c9xx`.
 */
import { MappingFlags } from '@page-table/core';
import { pa } from '@page-table/memory-addr';
import {
  loadVectors,
  type VectorPageRecord,
  type VectorRecord,
  type VectorTableRecord,
} from '@page-table/test-support';
import { describe, expect, it } from 'vitest';
import { RV64_PTE, RV64_PTE_XUANTIE, type Rv64PTE } from '../src/index.js';

function load(file: string): VectorRecord[] {
  return loadVectors<{ riscv: VectorRecord[] }>(new URL(`./fixtures/${file}`, import.meta.url)).riscv;
}

const isPage = (r: VectorRecord): r is VectorPageRecord => r.op === 'new_page';
const isTable = (r: VectorRecord): r is VectorTableRecord => r.op === 'new_table';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const RWXU = READ | WRITE | EXECUTE | USER;

const suites: [string, string, Rv64PTE][] = [
  ['default features', 'pte-v0.6.1.json', RV64_PTE],
  ['xuantie-c9xx', 'pte-v0.6.1-xuantie.json', RV64_PTE_XUANTIE],
];

describe.each(suites)('riscv vectors, %s', (_name, file, pte) => {
  const records = load(file);

  it('holds all 64 flag sets, 4K and huge, at every PA, and the table links', () => {
    expect(records.filter(isPage)).toHaveLength(384);
    expect(records.filter(isTable)).toHaveLength(3);
  });

  it('encodes and decodes every new_page record bit-exactly', () => {
    for (const r of records.filter(isPage)) {
      const ctx = `pa=${r.pa} flags=${r.in_flags} huge=${r.huge}`;
      const bits = BigInt(r.bits);
      expect(pte.newPage(BigInt(r.pa), r.in_flags, r.huge), ctx).toBe(bits);
      expect(pte.paddr(bits), ctx).toBe(pa(BigInt(r.paddr)));
      expect(pte.flags(bits), ctx).toBe(r.out_flags);
      expect(pte.isPresent(bits), ctx).toBe(r.present);
      expect(pte.isHuge(bits), ctx).toBe(r.is_huge);
      expect(pte.isUnused(bits), ctx).toBe(r.unused);
      const full = pte.newPage(BigInt(r.pa), RWXU, r.huge);
      expect(pte.setFlags(full, r.in_flags, r.huge), ctx).toBe(BigInt(r.set_flags_bits));
    }
  });

  it('encodes and decodes every new_table record bit-exactly', () => {
    for (const r of records.filter(isTable)) {
      const bits = BigInt(r.bits);
      expect(pte.newTable(BigInt(r.pa)), r.pa).toBe(bits);
      expect(pte.paddr(bits), r.pa).toBe(pa(BigInt(r.paddr)));
      expect(pte.flags(bits), r.pa).toBe(r.flags);
      expect(pte.isPresent(bits), r.pa).toBe(r.present);
      expect(pte.isUnused(bits), r.pa).toBe(r.unused);
      expect(pte.table(Number(bits & 0xffff_ffffn), Number(bits >> 32n)), r.pa).toBe(true);
    }
  });

  it('refuses, as a deliberate fix, every flag set upstream writes as a reserved or non-leaf entry', () => {
    // Upstream writes these as given: W-only is V|W|A|D (0x…c5), W|X is V|W|X|A|D (0x…cd), both reserved
    // R/W/X encodings; sets without R or X (empty, USER, DEVICE, …) become V|A|D[|U], read by hardware as a
    // pointer to a next-level table. We reject them in checkFlags; the walker then throws UnsupportedFlags.
    let refused = 0;
    for (const r of records.filter(isPage)) {
      const f = r.in_flags;
      const reserved = (f & (READ | WRITE)) === WRITE;
      const noLeaf = (f & (READ | EXECUTE)) === 0;
      const reason = pte.checkFlags(f);
      if (reserved || noLeaf) {
        refused++;
        expect(reason, `flags=${f} (upstream bits ${r.bits})`).toBeTypeOf('string');
        const lo = Number(BigInt(r.bits) & 0xffn);
        if (reserved) expect(lo & 0b1110, r.bits).toBe(f & EXECUTE ? 0b1100 : 0b0100);
        else if (f !== 0) expect(lo & 0b1111, r.bits).toBe(0b0001);
      } else {
        expect(reason, `flags=${f}`).toBeUndefined();
      }
    }
    // Of the 64 sets, 24 lack R and have W or lack X (16 W-without-R, plus 8 with none of R/W/X), × 2 sizes × 3 PAs.
    expect(refused).toBe(24 * 2 * 3);
  });
});
