/** The README's "Emulator MMU" examples, as written there. */

import { Access, formatFlags, MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { formatLA64Fault, LA64Mmu, LA64PageTable } from '../src/index.js';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

describe('README: Emulator MMU', () => {
  it('the example', () => {
    const log: string[] = [];
    const console = { log: (...a: unknown[]) => log.push(a.map(String).join(' ')) };

    const ram = new RamHandler({ size: 16 << 20 }); // or over the emulator's ArrayBuffer / WebAssembly.Memory
    const pt = LA64PageTable.create(ram); // or the guest's own tables: nothing is copied
    pt.map(0x12_0000, 0x8_0000, PageSize.Size4K, READ | USER); // a read-only user page (D = 0, NX = 1)
    pt.map(0x40_0000, 0x60_0000, PageSize.Size2M, READ | WRITE | EXECUTE);

    const mmu = new LA64Mmu(ram, {
      crmd: 0x10 | 3, // PG = 1, PLV3
      pgdl: pt.rootPaddr,
      pgdh: pt.rootPaddr,
      pwcl: pt.pwcl,
      pwch: pt.pwch,
      asid: 7,
      dmw0: 0x9000_0000_0000_0011n, // Linux's cached window, PLV0 only
    });

    const r = mmu.translate(0x12_0abc, Access.Read);
    if (!r.fault) console.log(r.paddr.toString(16), r.size, formatFlags(r.flags)); // → 80abc 4096 READ|USER
    const w = mmu.translate(0x12_0abc, Access.Write);
    if (w.fault) console.log(formatLA64Fault(w.fault)); // → PME (Ecode 0x4) BADV=0x120abc

    // The hot path: a number, -1 on a fault (details in fields).
    if (mmu.translatePa(0x12_0abc, Access.Execute) < 0) console.log(mmu.faultEcode); // → 6 (PNX)
    mmu.crmd = 0x10; // the guest entered the kernel (PLV0): re-checked on the next access, nothing flushed
    console.log(mmu.translatePaHalves(0x9000_0000, 0x8_0abc, Access.Read).toString(16)); // → 80abc (DMW0)
    console.log(mmu.translatePa(0x5f_fff8, Access.Write).toString(16)); // → 7ffff8 (one PS = 20 pair)

    // The guest changes its tables, then invalidates as the manual requires.
    pt.unmap(0x12_0000);
    console.log(mmu.translatePa(0x12_0abc, Access.Read).toString(16)); // → 80abc: stale until INVTLB
    mmu.invtlb(5, 7, 0x12_0000); // invtlb 0x5, asid, va
    console.log(mmu.translate(0x12_0abc, Access.Read).fault?.name); // → PIL
    console.log(JSON.stringify(mmu.stats)); // → {"hits":3,"misses":3,"faults":3}

    expect(log).toEqual([
      '80abc 4096 READ|USER',
      'PME (Ecode 0x4) BADV=0x120abc',
      '6',
      '80abc',
      '7ffff8',
      '80abc',
      'PIL',
      '{"hits":3,"misses":3,"faults":3}',
    ]);
  });

  it("the guest's own refill handler (ptw: false)", () => {
    const ram = new RamHandler({ size: 16 << 20 });
    const pt = LA64PageTable.create(ram);
    pt.map(0x12_0000, 0x8_0000, PageSize.Size4K, READ | WRITE);
    const mmu = new LA64Mmu(ram, { crmd: 0x10, pgdl: pt.rootPaddr, pwcl: pt.pwcl, pwch: pt.pwch, ptw: false });

    const va = 0x12_0abc;
    const r = mmu.translate(va, Access.Read);
    expect(r.fault).toMatchObject({ refill: true, name: 'TLBR', badv: va });
    // The emulator enters TLBRENTRY; the guest's handler runs, and its instructions call:
    let t = mmu.pgd(va); // csrrd t0, PGD
    t = mmu.lddir(t, 3, va); // lddir t0, t0, 3
    t = mmu.lddir(t, 2, va);
    t = mmu.lddir(t, 1, va);
    const lo0 = mmu.ldpte(t, 0, va); // ldpte t0, 0 → TLBRELO0 (and TLBREHI.PS)
    const lo1 = mmu.ldpte(t, 1, va);
    mmu.tlbfill({ ehi: va, elo0: lo0.elo, elo1: lo1.elo, ps: lo0.ps }); // tlbfill
    expect(mmu.translate(va, Access.Read)).toEqual({ paddr: 0x8_0abc, size: 4096, flags: READ | WRITE });
  });
});
