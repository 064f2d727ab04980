/** Shared fixtures of the MMU tests: MMU.md §3.7's base table R0, byte for byte. */
import { type Access, RamHandler, type TranslateResult } from '@page-table/core';
import { expect } from 'vitest';
import { type RiscvFault, RiscvMmu, type RiscvMmuOptions } from '../src/index.js';

/** R0's entries: [PA, value]. */
export const R0_ENTRIES: readonly (readonly [number, bigint])[] = [
  [0x8000_0000, 0x0000_0000_2000_0401n], // root[0] -> L1 0x8000_1000
  [0x8000_0010, 0x0000_0000_3000_00c7n], // root[2] 1G leaf RW AD, PA 0xC000_0000
  [0x8000_1000, 0x0000_0000_2000_0801n], // L1[0] -> L0 0x8000_2000
  [0x8000_1008, 0x0000_0000_2008_00c7n], // L1[1] 2M leaf RW AD, PA 0x8020_0000
  [0x8000_1010, 0x0000_0000_2008_0443n], // L1[2] 2M leaf R A, PPN 0x80201 (misaligned)
  [0x8000_2028, 0x0000_0000_2000_14c7n], // L0[5] RW AD, U=0
  [0x8000_2030, 0x0000_0000_2000_18dfn], // L0[6] RWX U AD
  [0x8000_2038, 0x0000_0000_2000_1cc5n], // L0[7] W without R
  [0x8000_2040, 0x0000_0000_2000_2049n], // L0[8] X only, A
  [0x8000_2048, 0x0000_0000_2000_2407n], // L0[9] RW, A=0 D=0
  [0x8000_2050, 0x0000_0000_2000_2847n], // L0[10] RW A, D=0
  [0x8000_2058, 0x0000_0000_2000_2c01n], // L0[11] V only at the last level
];

/** satp of R0: Sv39, ASID 0, PPN 0x80000. */
export const R0_SATP = (8n << 60n) | 0x8_0000n;

/** RAM at 0x8000_0000 (1 MiB) holding R0, and an S-mode MMU on it with hardware A/D unless overridden. */
export function r0(options: RiscvMmuOptions = {}): { ram: RamHandler; mmu: RiscvMmu } {
  const ram = new RamHandler({ base: 0x8000_0000, size: 0x10_0000 });
  for (const [a, v] of R0_ENTRIES) ram.write64(a, v);
  const mmu = new RiscvMmu(ram, { satp: R0_SATP, priv: 1, svadu: true, ...options });
  return { ram, mmu };
}

/** A copy of all of RAM's bytes. */
export function snapshot(ram: RamHandler): Uint8Array {
  return ram.bytes.slice();
}

/** Index of the first byte where two snapshots differ, or -1 (vitest's deep equality is slow on 1 MiB). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * Checks one access through every entry point: `translate`, the hot path
 * (`translatePa` and its fault fields) and `debugTranslate`'s result.
 * `expected` is a PA or a fault cause.
 */
export function check(
  mmu: RiscvMmu,
  va: number | bigint,
  access: Access,
  expected: { pa: number } | { cause: number },
): void {
  const dbg = mmu.debugTranslate(va, access);
  const r: TranslateResult<RiscvFault> = mmu.translate(va, access);
  if ('pa' in expected) {
    expect(dbg.result.fault, dbg.stop).toBeUndefined();
    expect(r.fault).toBeUndefined();
    expect(r.fault === undefined && r.paddr).toBe(expected.pa);
    expect(dbg.result.fault === undefined && dbg.result.paddr).toBe(expected.pa);
    if (typeof va === 'number') expect(mmu.translatePa(va, access)).toBe(expected.pa);
  } else {
    const tval = typeof va === 'bigint' && va <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(va) : va;
    expect(r).toEqual({ fault: { cause: expected.cause, tval } });
    expect(dbg.result).toEqual({ fault: { cause: expected.cause, tval } });
    expect(typeof dbg.stop).toBe('string');
    if (typeof va === 'number') {
      mmu.faultCause = 0;
      expect(mmu.translatePa(va, access)).toBe(-1);
      expect(mmu.faultCause).toBe(expected.cause);
      expect(mmu.faultTval).toBe(tval);
    }
  }
}
