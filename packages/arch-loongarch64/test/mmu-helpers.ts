/** Shared fixtures of the MMU tests: the base table L0 of MMU.md §5.7, byte for byte. */

import { RamHandler } from '@page-table/core';
import { LA64Mmu, type LA64MmuOptions } from '../src/index.js';

/** CRMD with PG=1, DA=0 at `plv`. */
export function pg(plv = 0): number {
  return 0x10 | plv;
}

/** The entries of L0: PA → 64-bit value. */
export const L0_ENTRIES: ReadonlyArray<readonly [number, bigint]> = [
  [0x10000, 0x0000_0000_0001_1000n], // PGD[0] → Dir2
  [0x11000, 0x0000_0000_0001_2000n], // Dir2[0] → Dir1
  [0x12000, 0x0000_0000_0001_3000n], // Dir1[0] → PT
  [0x12008, 0x0000_0000_0020_01d3n], // Dir1[1]: 2M huge, V D MAT1 P W, PA 0x20_0000
  [0x13020, 0x0000_0000_0004_0193n], // PT[4]: V D MAT1 P W, PLV0
  [0x13028, 0x0000_0000_0005_0091n], // PT[5]: V MAT1 P, D=0
  [0x13030, 0n], // PT[6]: invalid
  [0x13038, 0x0000_0000_0007_019fn], // PT[7]: PLV3, RPLV=0
  [0x13040, 0x2000_0000_0008_0193n], // PT[8]: NR
  [0x13048, 0x4000_0000_0009_0193n], // PT[9]: NX
  [0x13050, 0x8000_0000_000a_019fn], // PT[10]: PLV3, RPLV=1
];

/** RAM (1 MiB at PA 0) holding L0. */
export function l0Ram(): RamHandler {
  const ram = new RamHandler({ base: 0, size: 1 << 20 });
  for (const [pa, v] of L0_ENTRIES) ram.write64(pa, v);
  return ram;
}

/** The MMU of L0: PG=1 PLV0, PGDL 0x10000, PWCL 0x13E4D52C, PWCH 0x267, STLBPS 12, ASID 0, DMW all 0. */
export function l0(options: LA64MmuOptions = {}): { ram: RamHandler; mmu: LA64Mmu } {
  const ram = l0Ram();
  const mmu = new LA64Mmu(ram, {
    crmd: pg(0),
    pgdl: 0x10000,
    pwcl: 0x13e4_d52c,
    pwch: 0x267,
    stlbps: 12,
    asid: 0,
    ...options,
  });
  return { ram, mmu };
}

/** What Linux's refill handler does for `badv`: csrrd PGD; lddir 3, 2, 1; ldpte 0, 1; tlbfill. Returns the index filled. */
export function linuxRefill(mmu: LA64Mmu, badv: number | bigint, levels: readonly number[] = [3, 2, 1]): number {
  let t = mmu.pgd(badv);
  for (const level of levels) t = mmu.lddir(t, level, badv);
  const even = mmu.ldpte(t, 0, badv);
  const odd = mmu.ldpte(t, 1, badv);
  return mmu.tlbfill({ ehi: badv, elo0: even.elo, elo1: odd.elo, ps: even.ps });
}

/** Whether two byte arrays are equal (fast: `toEqual` on a megabyte is slow). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  for (let i = x.length * 4; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
