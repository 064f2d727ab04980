/** Shared fixtures of the arch-arm tests: RAM with descriptors written by hand. */
import { RamHandler } from '@page-table/core';

/** RAM at PA 0 of `size` bytes (default 4 MiB). */
export function newRam(size = 4 << 20): RamHandler {
  return new RamHandler({ base: 0, size });
}

/** Writes the 32-bit word `v` at `pa` (4-byte aligned). */
export function w32(ram: RamHandler, pa: number, v: number): void {
  ram.words[ram.frameWord(Math.floor(pa / 4096)) + ((pa % 4096) >>> 2)] = v >>> 0;
}

/** Writes the 64-bit descriptor (hi, lo) at `pa` (8-byte aligned). */
export function w64(ram: RamHandler, pa: number, hi: number, lo: number): void {
  w32(ram, pa, lo);
  w32(ram, pa + 4, hi);
}

/** A copy of all of RAM's bytes. */
export function snapshot(ram: RamHandler): Uint8Array {
  return ram.bytes.slice();
}

/** Index of the first differing byte, or -1. */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : a.length;
}
