// A64PageTable with a 39-bit VA range (TnSZ = 25): three levels from level 1,
// checked against a table laid out by hand from the Arm ARM (4 KiB granule:
// VA[38:30] indexes the level-1 table, VA[29:21] level 2, VA[20:12] level 3).
import { MappingFlags, PageSize, RamHandler, topTableEntries } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { A64PageTable } from '../src/index.js';
import { expectPagingError } from './helpers.js';

const TABLE = 0b11n; // valid, table (levels 0-2) / page (level 3)
const AF = 1n << 10n;

describe('A64PageTable with vaBits 39', () => {
  it('is a 3-level table of 39-bit VAs', () => {
    const pt = A64PageTable.create(new RamHandler({ base: 0, size: 1 << 20 }), { vaBits: 39 });
    expect(pt.meta.levels).toBe(3);
    expect(pt.meta.vaBits).toBe(39);
    expect(pt.meta.name).toContain('3-level 39-bit');
    // Same options, same metadata object: call sites stay monomorphic.
    expect(A64PageTable.create(new RamHandler({ base: 0, size: 1 << 20 }), { vaBits: 39 }).meta).toBe(pt.meta);
  });

  it('maps the last page of the range and refuses the first VA past it', () => {
    const pt = A64PageTable.create(new RamHandler({ base: 0, size: 1 << 20 }), { vaBits: 39, range: 'lower' });
    const last = 0x7f_ffff_f000;
    pt.map(last, 0x5000, PageSize.Size4K, MappingFlags.READ);
    expect(pt.query(last + 0x10)?.paddr).toBe(0x5010);
    expectPagingError(() => pt.map(0x80_0000_0000, 0x5000, PageSize.Size4K, MappingFlags.READ), 'InvalidAddress');
  });

  it('walks a table laid out by hand, in the upper range for TTBR1', () => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    const view = new DataView(ram.bytes.buffer, ram.bytes.byteOffset);
    // VA 0xffff_ffc0_8020_3000: VA[38:30] = 2, VA[29:21] = 1, VA[20:12] = 3.
    const va = 0xffff_ff80_8020_3000n;
    view.setBigUint64(0x1000 + 8 * 2, 0x2000n | TABLE, true);
    view.setBigUint64(0x2000 + 8 * 1, 0x3000n | TABLE, true);
    view.setBigUint64(0x3000 + 8 * 3, 0x9000n | AF | TABLE, true);
    const pt = A64PageTable.fromRoot(ram, 0x1000, { vaBits: 39, range: 'upper' });
    expect(BigInt(pt.query(va + 0x24n)?.paddr ?? -1)).toBe(0x9024n);
    const leaves: bigint[] = [];
    pt.walk((e) => {
      if (e.leaf) leaves.push(BigInt(e.va));
    });
    expect(leaves).toEqual([va]);
    // A 48-bit table reads the same root with VA[47:39] as its first index: not this VA.
    expect(A64PageTable.fromRoot(ram, 0x1000, { range: 'upper' }).query(0xffff_ff80_8020_3000n)).toBeUndefined();
  });

  it('refuses VA widths outside 36..48', () => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    for (const bits of [35, 49, 64, 42.5, 25]) {
      expect(() => A64PageTable.create(ram, { vaBits: bits as 39 }), String(bits)).toThrow(RangeError);
    }
  });
});

// Partial top tables (Arm ARM, VMSAv8-64 translation with a 4 KiB granule): with 64 - TnSZ
// VA bits the walk starts at level 0 from 40 bits (TnSZ <= 24) and at level 1 from 31 to 39;
// the top table indexes VA[vaBits-1 : 39] (level 0) or VA[vaBits-1 : 30] (level 1), so it holds
// 2^(vaBits - 39) or 2^(vaBits - 30) entries.
describe.each([
  // vaBits, levels, top-table entries, its index shift
  [48, 4, 512, 39],
  [47, 4, 256, 39],
  [44, 4, 32, 39],
  [42, 4, 8, 39],
  [40, 4, 2, 39],
  [39, 3, 512, 30],
  [38, 3, 256, 30],
  [36, 3, 64, 30],
] as const)('A64PageTable with vaBits %i', (bits, levels, entries, shift) => {
  const top = 1n << BigInt(bits); // first VA past the lower range
  const setup = (range: 'lower' | 'upper') => {
    const ram = new RamHandler({ base: 0, size: 1 << 22 });
    return { ram, pt: A64PageTable.create(ram, { vaBits: bits, range }) };
  };

  it(`has ${levels} levels and a top table of ${entries} entries`, () => {
    const { pt } = setup('lower');
    expect(pt.meta.levels).toBe(levels);
    expect(pt.meta.vaBits).toBe(bits);
    expect(topTableEntries(pt.meta)).toBe(entries);
  });

  it("maps both ends of the TTBR0 range, the last in the top table's last entry; the first VA past it is refused", () => {
    const { ram, pt } = setup('lower');
    pt.map(0, 0x7000, PageSize.Size4K, MappingFlags.READ);
    pt.map(top - 0x1000n, 0x5000, PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE);
    expect(pt.query(top - 0x1000n + 0x10n)?.paddr).toBe(0x5010);
    expect(pt.query(0x10)?.paddr).toBe(0x7010);
    // The last VA's index in the top table is its last entry, VA[bits-1 : shift] all ones.
    const root = new DataView(ram.bytes.buffer, ram.bytes.byteOffset + Number(pt.rootPaddr), 4096);
    const used = [...Array(512).keys()].filter((i) => root.getBigUint64(8 * i, true) !== 0n);
    expect(used).toEqual([0, Number(((top - 1n) >> BigInt(shift)) & 511n)]);
    expect(used.at(-1)).toBe(entries - 1);
    expect([...pt.mappings()].map((m) => BigInt(m.va))).toEqual([0n, top - 0x1000n]);
    expectPagingError(() => pt.map(top, 0x5000, PageSize.Size4K, MappingFlags.READ), 'InvalidAddress');
    expectPagingError(() => pt.query(top), 'InvalidAddress');
    expectPagingError(() => pt.query(0xffff_ffff_ffff_f000n), 'InvalidAddress');
  });

  it('maps both ends of the TTBR1 range through the same top-table entries; the VA below it is refused', () => {
    const { ram, pt } = setup('upper');
    const first = 0x1_0000_0000_0000_0000n - top; // lowest VA of the TTBR1 range
    pt.map(first, 0x7000, PageSize.Size4K, MappingFlags.READ);
    pt.map(0xffff_ffff_ffff_f000n, 0x5000, PageSize.Size4K, MappingFlags.READ);
    expect(pt.query(0xffff_ffff_ffff_f123n)?.paddr).toBe(0x5123);
    expect(pt.query(first + 4n)?.paddr).toBe(0x7004);
    const root = new DataView(ram.bytes.buffer, ram.bytes.byteOffset + Number(pt.rootPaddr), 4096);
    const used = [...Array(512).keys()].filter((i) => root.getBigUint64(8 * i, true) !== 0n);
    // The bits above vaBits select the TTBR, never an entry: index 0 and the last entry.
    expect(used).toEqual([0, entries - 1]);
    expect([...pt.mappings()].map((m) => BigInt(m.va))).toEqual([first, 0xffff_ffff_ffff_f000n]);
    expectPagingError(() => pt.query(first - 0x1000n), 'InvalidAddress');
    expectPagingError(() => pt.map(first - 0x1000n, 0x5000, PageSize.Size4K, MappingFlags.READ), 'InvalidAddress');
  });

  it('reads only the entries of its top table from a root whose frame holds other data past them', () => {
    const ram = new RamHandler({ base: 0, size: 1 << 22 });
    const view = new DataView(ram.bytes.buffer, ram.bytes.byteOffset);
    // Valid-looking descriptors past the partial table (what follows it in a guest's memory).
    for (let i = entries; i < 512; i++) view.setBigUint64(0x1000 + 8 * i, 0x2000n | TABLE, true);
    view.setBigUint64(0x1000, 0x2000n | TABLE, true);
    view.setBigUint64(0x2000, 0x3000n | TABLE, true);
    if (levels === 4) view.setBigUint64(0x3000, 0x4000n | TABLE, true);
    view.setBigUint64(levels === 4 ? 0x4000 : 0x3000, 0x9000n | AF | TABLE, true);
    const pt = A64PageTable.fromRoot(ram, 0x1000, { vaBits: bits, range: 'lower' });
    // Entry 0 only: one page at VA 0 (entries past the top table would have added aliases of it).
    expect([...pt.mappings()].map((m) => [BigInt(m.va), BigInt(m.pa)])).toEqual([[0n, 0x9000n]]);
  });
});
