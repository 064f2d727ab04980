/**
 * ArmV7Mmu against core's EmulatorMmu contract, in both formats — the checks
 * of conformance's mmu-contract suite that need no page-table class (that
 * suite builds its tables with one; ArmV7Mmu joins it once `ArmV7PageTable`
 * exists).
 */
import { Access, type EmulatorMmu, MappingFlags } from '@page-table/core';
import { describe, expect, it } from 'vitest';
import { type ArmV7Fault, ArmV7Mmu, TTBCR_EAE } from '../src/index.js';
import { newRam, w32, w64 } from './helpers.js';

const VA = 0x40_0000;
const PA = 0x23_4000;

interface Scene {
  mmu: ArmV7Mmu;
  /** Removes the mapping of VA (as a guest edits its table, without TLB maintenance). */
  unmap(): void;
}

const CASES: { name: string; make(tlbEntries?: number): Scene }[] = [
  {
    name: 'short descriptors',
    make(tlbEntries) {
      const ram = newRam();
      w32(ram, 0x4000 + (VA >>> 20) * 4, 0x8001); // page table at 0x8000, domain 0
      w32(ram, 0x8000 + ((VA >>> 12) & 0xff) * 4, PA | 0x30 | 0b10); // small page, AP 011
      const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbr0: 0x4000, pl: 0, tlbEntries });
      return { mmu, unmap: () => w32(ram, 0x8000 + ((VA >>> 12) & 0xff) * 4, 0) };
    },
  },
  {
    name: 'LPAE',
    make(tlbEntries) {
      const ram = newRam();
      w64(ram, 0x1000, 0, 0x2003);
      w64(ram, 0x2000 + ((VA >>> 21) & 511) * 8, 0, 0x3003);
      w64(ram, 0x3000 + ((VA >>> 12) & 511) * 8, 0, PA | 0x400 | 0x40 | 3); // page, AF, AP[2:1] = 01
      const mmu = new ArmV7Mmu(ram, { sctlr: 1, ttbcr: TTBCR_EAE, ttbr0: 0x1000, pl: 0, tlbEntries });
      return { mmu, unmap: () => w64(ram, 0x3000 + ((VA >>> 12) & 511) * 8, 0, 0) };
    },
  },
];

describe.each(CASES)('ArmV7Mmu and the EmulatorMmu contract: $name', (c) => {
  it('translate, translatePa and translatePaHalves agree', () => {
    const mmu: EmulatorMmu<ArmV7Fault> = c.make().mmu;
    expect(mmu.translatePa(VA + 0x123, Access.Read)).toBe(PA + 0x123);
    expect(mmu.translatePaHalves(0, VA + 0x124, Access.Write)).toBe(PA + 0x124);
    expect(mmu.translate(VA + 0x125, Access.Read)).toMatchObject({ paddr: PA + 0x125, size: 0x1000 });
    expect(mmu.lastSize).toBe(0x1000);
    expect(mmu.lastFlags & (MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER)).toBe(
      MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER,
    );
  });

  it('a negative number VA is the sign-extended VA; a negative bigint or a fraction is a RangeError', () => {
    const { mmu } = c.make();
    for (const va of [-1, -0x1000, -0x8000_0000, -0x8000_0001, -0x8000_0000_0000]) {
      const big = BigInt.asUintN(64, BigInt(va));
      const hi = Math.floor(va / 2 ** 32) >>> 0;
      expect(mmu.translatePa(va, Access.Read)).toBe(mmu.translatePaHalves(hi, va >>> 0, Access.Read));
      expect(mmu.translate(va, Access.Read)).toEqual(mmu.translate(big, Access.Read));
      expect(mmu.debugTranslate(va, Access.Read).result).toEqual(mmu.debugTranslate(big, Access.Read).result);
    }
    // Sign-extended 32-bit VAs are 32-bit VAs; the others are va-range faults carrying the whole VA.
    expect(mmu.translate(-0x1000, Access.Read)).toMatchObject({ fault: { kind: 'translation', far: 0xffff_f000 } });
    expect(mmu.translate(-0x8000_0001, Access.Read)).toMatchObject({
      fault: { kind: 'va-range', va: 0xffff_ffff_7fff_ffffn },
    });
    expect(() => mmu.translate(-1n, Access.Read)).toThrow(RangeError);
    expect(() => mmu.debugTranslate(-0x1000n, Access.Read)).toThrow(RangeError);
    expect(() => mmu.translate(0.5, Access.Read)).toThrow(RangeError);
    expect(() => mmu.translate(2 ** 60, Access.Read)).toThrow(RangeError);
  });

  it('an unknown access kind throws the same RangeError from every entry point, before any counting', () => {
    const { mmu } = c.make();
    const message = /access must be Access\.Read \(0\), Access\.Write \(1\) or Access\.Execute \(2\), got 7/;
    const bad = 7 as Access;
    expect(() => mmu.translatePa(VA, bad)).toThrow(message);
    expect(() => mmu.translatePaHalves(0, VA, bad)).toThrow(message);
    expect(() => mmu.translate(VA, bad)).toThrow(message);
    expect(() => mmu.debugTranslate(VA, bad)).toThrow(message);
    expect(mmu.stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });

  it('tlbEntries: 0 means no software TLB; other sizes are powers of two', () => {
    const { mmu } = c.make(0);
    for (let i = 0; i < 4; i++) expect(mmu.translatePa(VA, Access.Read)).toBe(PA);
    expect(mmu.stats).toEqual({ hits: 0, misses: 4, faults: 0 });
    const cached = c.make(64).mmu;
    for (let i = 0; i < 4; i++) cached.translatePa(VA, Access.Read);
    expect(cached.stats.hits).toBe(3);
    for (const n of [3, -1, 0.5])
      expect(() => c.make(n)).toThrow(/tlbEntries .* is not 0 \(no TLB\) or a power of two/);
  });

  it('stats count faults; resetStats zeroes them in place', () => {
    const { mmu } = c.make();
    const stats = mmu.stats;
    mmu.translatePa(VA, Access.Read);
    expect(mmu.translatePa(VA + 0x10_0000, Access.Read)).toBe(-1);
    expect(stats.faults).toBe(1);
    mmu.resetStats();
    expect(mmu.stats).toBe(stats);
    expect(stats).toEqual({ hits: 0, misses: 0, faults: 0 });
  });

  it('debugTranslate gives the shared report fields', () => {
    const { mmu } = c.make();
    const ok = mmu.debugTranslate(VA + 8, Access.Write);
    expect(ok.access).toBe(Access.Write);
    expect(ok.leafSize).toBe(0x1000);
    expect(ok.permissions).toBe('flags' in ok.result ? ok.result.flags : -1);
    expect(ok.stopLevel).toBeUndefined();
    expect(ok.updates).toEqual([]);
    expect(ok.steps.at(-1)?.level).toBe(0);
    for (const s of ok.steps) expect(typeof mmu.info.tables[s.level]).toBe('string');
    const bad = mmu.debugTranslate(VA + 0x10_0000, Access.Read);
    expect(bad.result.fault).toBeDefined();
    expect(bad.permissions).toBeUndefined();
    expect([typeof bad.stopLevel, typeof bad.stopReason, typeof bad.stop]).toEqual(['number', 'string', 'string']);
    expect(Object.keys(ok)).not.toContain('updates');
  });

  it('describeFault is JSON-ready; info names the tables and privileges', () => {
    const { mmu } = c.make();
    mmu.translatePa(VA + 0x10_0000, Access.Write);
    const r = mmu.describeFault(mmu.lastFault as ArmV7Fault);
    expect(r.summary).toContain(r.name);
    expect(JSON.parse(JSON.stringify(r.fields))).toEqual(r.fields);
    expect(mmu.info.privileges[mmu.info.userPrivilege]).toBe('PL0');
  });

  it('flushAll drops every cached translation', () => {
    const { mmu, unmap } = c.make();
    mmu.translatePa(VA, Access.Read);
    unmap();
    expect(mmu.translatePa(VA, Access.Read)).toBe(PA);
    mmu.flushAll();
    expect(mmu.translatePa(VA, Access.Read)).toBe(-1);
  });
});
