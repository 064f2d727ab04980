// A64PageTable with a 39-bit VA range (TnSZ = 25): three levels from level 1,
// checked against a table laid out by hand from the Arm ARM (4 KiB granule:
// VA[38:30] indexes the level-1 table, VA[29:21] level 2, VA[20:12] level 3).
import { MappingFlags, PageSize, RamHandler } from '@page-table/core';
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

  it('refuses VA widths that need a partial top table', () => {
    const ram = new RamHandler({ base: 0, size: 1 << 20 });
    expect(() => A64PageTable.create(ram, { vaBits: 42 as 39 })).toThrow(RangeError);
  });
});
