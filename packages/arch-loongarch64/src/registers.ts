/**
 * The page-walk controller CSRs PWCL and PWCH, which tell LDDIR/LDPTE (and a
 * hardware page walker) where each table level's index sits in a virtual
 * address (LoongArch Reference Manual Vol. 1, "Page Walk Controller for Lower
 * Half Address Space" / "... for Higher Half Address Space").
 *
 * A level is described by a base (the lowest VA bit of its index) and a
 * width (index bits; 0 = the level is absent).
 *
 * @module
 */

import { registerHalves } from '@page-table/core';
import type { AddrLike } from '@page-table/memory-addr';

/** The fields of PWCL: the page table and the two lowest directory levels. */
export interface PwclFields {
  /** PTbase, bits 4:0 — lowest VA bit of the last-level (PTE) index: 12 for 4 KiB pages. */
  ptBase: number;
  /** PTwidth, bits 9:5 — index bits of the last level. */
  ptWidth: number;
  /** Dir1_base, bits 14:10 — lowest VA bit of the first directory index. */
  dir1Base: number;
  /** Dir1_width, bits 19:15 — index bits of the first directory (0 = absent). */
  dir1Width: number;
  /** Dir2_base, bits 24:20 — lowest VA bit of the second directory index. */
  dir2Base: number;
  /** Dir2_width, bits 29:25 — index bits of the second directory (0 = absent). */
  dir2Width: number;
  /** PTEWidth, bits 31:30 — entry size code: 0 = 64-bit entries, the only size this library writes. Default 0. */
  pteWidth?: number;
}

/** The fields of PWCH: the two highest directory levels. */
export interface PwchFields {
  /** Dir3_base, bits 5:0 — lowest VA bit of the third directory index. */
  dir3Base: number;
  /** Dir3_width, bits 11:6 — index bits of the third directory (0 = absent). */
  dir3Width: number;
  /** Dir4_base, bits 17:12 — lowest VA bit of the fourth directory index. Default 0. */
  dir4Base?: number;
  /** Dir4_width, bits 23:18 — index bits of the fourth directory (0 = absent). Default 0. */
  dir4Width?: number;
}

function field(name: string, value: number, bits: number, shift: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= 1 << bits) {
    throw new RangeError(`${name} must be an integer in 0..${(1 << bits) - 1}, got ${value}`);
  }
  return value * 2 ** shift; // a product, not `<<`: PTEWidth reaches bit 31
}

/** Builds a PWCL value (an unsigned 32-bit number); throws `RangeError` for a field out of range. */
export function pwcl(f: PwclFields): number {
  return (
    field('ptBase', f.ptBase, 5, 0) +
    field('ptWidth', f.ptWidth, 5, 5) +
    field('dir1Base', f.dir1Base, 5, 10) +
    field('dir1Width', f.dir1Width, 5, 15) +
    field('dir2Base', f.dir2Base, 5, 20) +
    field('dir2Width', f.dir2Width, 5, 25) +
    field('pteWidth', f.pteWidth ?? 0, 2, 30)
  );
}

/** Builds a PWCH value; throws `RangeError` for a field out of range. Bits above 23 are left 0. */
export function pwch(f: PwchFields): number {
  return (
    field('dir3Base', f.dir3Base, 6, 0) +
    field('dir3Width', f.dir3Width, 6, 6) +
    field('dir4Base', f.dir4Base ?? 0, 6, 12) +
    field('dir4Width', f.dir4Width ?? 0, 6, 18)
  );
}

/**
 * PWCL for the 4-level layout (and the 3-level one, which shares it): PT at
 * VA bit 12, Dir1 at 21, Dir2 at 30, 9 index bits each, 64-bit entries.
 * Equals `pwcl({ ptBase: 12, ptWidth: 9, dir1Base: 21, dir1Width: 9, dir2Base: 30, dir2Width: 9 })`.
 */
export const PWCL_4LEVEL = 0x13e4_d52c;

/** PWCH for the 4-level layout: Dir3 (the root) at VA bit 39 with 9 index bits, no Dir4. */
export const PWCH_4LEVEL = 0x267;

/** PWCL for the 3-level layout (39-bit VA): the same three lower levels as {@link PWCL_4LEVEL}. */
export const PWCL_3LEVEL = 0x13e4_d52c;

/** PWCH for the 3-level layout: no Dir3 or Dir4 (Dir2 is the root). */
export const PWCH_3LEVEL = 0;

/**
 * A CSR or GPR value as unsigned 32-bit halves: a number or bigint,
 * unsigned (0..2^64-1) or signed (down to -2^63, two's complement, as an
 * emulator may hold a GPR). A signed value is made unsigned first; the rest
 * is core's one rule for a register value (`registerHalves`), whose
 * `RangeError` names `what`.
 */
export function reg64(x: AddrLike, what: string): readonly [hi: number, lo: number] {
  if (typeof x === 'number' && x < 0 && Number.isSafeInteger(x)) x = BigInt.asUintN(64, BigInt(x));
  else if (typeof x === 'bigint' && x < 0n && x >= -(1n << 63n)) x = BigInt.asUintN(64, x);
  return registerHalves(x, 'loongarch64 MMU', what);
}
