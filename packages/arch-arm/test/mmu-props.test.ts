/**
 * ArmV7Mmu against the reference model (arm-model.ts): random translation
 * tables written as raw descriptors into RAM, random register states, and
 * random accesses at both privilege levels; every access must give the
 * model's PA, or its fault with the model's FSR in the right register and
 * the VA in the right FAR. The TLB is on, so hits are checked too.
 */
import { Access, type RamHandler } from '@page-table/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArmV7Mmu } from '../src/index.js';
import { bits, type ModelRegs, type ModelResult, modelLpae, modelShort } from './arm-model.js';
import { newRam, w32 } from './helpers.js';

const RAM_SIZE = 0x4_0000;

/** xorshift32: the tables of a run come from one seed, so a failure reproduces from it. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e37_79b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function reader(ram: RamHandler): (pa: number) => number | undefined {
  return (pa) => (pa < RAM_SIZE ? ram.words[pa / 4] : undefined);
}

function check(mmu: ArmV7Mmu, want: ModelResult, va: number, access: Access): void {
  const pa = mmu.translatePa(va, access);
  if ('pa' in want) {
    expect([va, access, pa]).toEqual([va, access, want.pa]);
    return;
  }
  expect([va, access, pa]).toEqual([va, access, -1]);
  const fsr = access === Access.Execute ? mmu.ifsr : mmu.dfsr;
  const far = access === Access.Execute ? mmu.ifar : mmu.dfar;
  expect([va, access, fsr, far]).toEqual([va, access, want.fsr, va]);
}

/** A probe VA: often inside the first MiBs and the top of the space, where the tables' entries are. */
function probeVa(next: () => number, n: number): number {
  const r = next();
  switch (r & 3) {
    case 0:
      return next();
    case 1:
      return (next() & 0x03ff_ffff) >>> 0;
    case 2:
      return (0xffff_ffff - (next() & 0x03ff_ffff)) >>> 0;
    default:
      // Around the TTBR0/TTBR1 boundary of the split.
      return n === 0 ? next() : (2 ** (32 - n) + ((next() & 0x3f_ffff) - 0x20_0000)) >>> 0;
  }
}

describe('ArmV7Mmu short descriptors vs the reference model', () => {
  it('random first- and second-level tables, DACR, AFE, TTBCR.N and privilege', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.boolean(),
        fc.constantFrom(0, 0, 0, 1 << 4, 1 << 5),
        (seed, n, dacr, afe, pd) => {
          const next = rng(seed);
          const ram = newRam(RAM_SIZE);
          // TTBR0's table at 0x4000 (16 KiB >> N used), TTBR1's at 0x8000, second-level tables in 0x10000..0x3ffff.
          for (const base of [0x4000, 0x8000]) {
            for (let i = 0; i < 4096; i++) {
              const r = next();
              const kind = r % 10;
              let d: number;
              if (kind < 3) d = r & ~3;
              else if (kind < 6) d = (r & ~0x4_0000) | 2;
              else if (kind < 7) d = r | 0x4_0002;
              else {
                const l2 = kind === 9 && (r & 0x100) !== 0 ? 0x1000_0000 : 0x1_0000 + (next() % 0x3_0000);
                d = ((l2 & 0xffff_fc00) | (r & 0x3fc) | 1) >>> 0;
              }
              w32(ram, base + i * 4, d);
            }
          }
          for (let pa = 0x1_0000; pa < RAM_SIZE; pa += 4) w32(ram, pa, next());
          const regs: ModelRegs = {
            ttbr0: 0x4000 | (next() & 0x3fff & (0x3fff >>> n)),
            ttbr1: 0x8000 | (next() & 0x3fff),
            ttbr0Hi: 0,
            ttbr1Hi: 0,
            ttbcr: n | pd,
            dacr,
            afe,
            pl: 0,
          };
          const mmu = new ArmV7Mmu(ram, {
            sctlr: 1 | (afe ? 1 << 29 : 0),
            ttbr0: regs.ttbr0,
            ttbr1: regs.ttbr1,
            ttbcr: regs.ttbcr,
            dacr,
            tlbEntries: 64,
          });
          const read = reader(ram);
          for (let k = 0; k < 300; k++) {
            const va = probeVa(next, n);
            const access = (next() % 3) as Access;
            const pl = (next() & 1) as 0 | 1;
            mmu.pl = pl;
            check(mmu, modelShort(read, { ...regs, pl }, va, access), va, access);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('ArmV7Mmu LPAE vs the reference model', () => {
  it('random three-level trees, T0SZ/T1SZ splits, EPDn and privilege', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom(0, 0, 0, 1 << 7, 1 << 23),
        (seed, t0, t1, epd) => {
          const next = rng(seed);
          const ram = newRam(RAM_SIZE);
          // Every 8-byte slot of 0x1000..0x3ffff is a random descriptor: invalid, block, table or page,
          // table addresses mostly inside RAM, output address bits [47:40] mostly 0.
          for (let pa = 0x1000; pa < RAM_SIZE; pa += 8) {
            const r = next();
            const kind = r % 8;
            let lo = next();
            let hi = next() & 0xffff_00ff & (kind === 7 ? 0xffff_ffff : 0xffff_0000);
            if (r & 0x100 && (r & 0x600) === 0) hi |= 0x100;
            if (kind < 2) lo &= ~1;
            else if (kind < 4) lo = (lo & ~2) | 1;
            else if (kind < 7)
              lo = (((r & 0x800 ? 0x1000_0000 : (next() % 63) * 4096 + 0x1000) & 0xffff_f000) | (lo & 0xfff) | 3) >>> 0;
            w32(ram, pa, lo);
            w32(ram, pa + 4, hi);
          }
          const regs: ModelRegs = {
            ttbr0: 0x1000 | (next() & 0x1f),
            ttbr1: 0x2000 | (next() & 0x1f),
            ttbr0Hi: (next() & 0xff) << 16,
            ttbr1Hi: (next() & 0xff) << 16,
            ttbcr: (0x8000_0000 | t0 | (t1 << 16) | epd) >>> 0,
            dacr: 0,
            afe: false,
            pl: 0,
          };
          const mmu = new ArmV7Mmu(ram, {
            sctlr: 1,
            ttbr0: (BigInt(regs.ttbr0Hi) << 32n) | BigInt(regs.ttbr0),
            ttbr1: (BigInt(regs.ttbr1Hi) << 32n) | BigInt(regs.ttbr1),
            ttbcr: regs.ttbcr,
            tlbEntries: 64,
          });
          const read = reader(ram);
          const read64 = (pa: number): readonly [number, number] | undefined => {
            const lo = read(pa);
            const hi = read(pa + 4);
            return lo === undefined || hi === undefined ? undefined : [hi, lo];
          };
          for (let k = 0; k < 300; k++) {
            const va = probeVa(next, bits(next(), 0, 0) ? t0 : t1);
            const access = (next() % 3) as Access;
            const pl = (next() & 1) as 0 | 1;
            mmu.pl = pl;
            check(mmu, modelLpae(read64, { ...regs, pl }, va, access), va, access);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
