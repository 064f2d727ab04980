/**
 * The AArch64 stage-1 permission rules as data: the effective AP[2:1], PXN
 * and UXN of a leaf after the table attributes above it, and the accesses
 * they allow at an Exception level under PAN and WXN, precomputed as one
 * small table per (EL, PAN, WXN) (Arm ARM D8.4 "Memory access control").
 *
 * @module
 */

import { Access, MappingFlags } from '@page-table/core';

/** Allowed-access bit of a load in a permission table entry. */
export const R = 1 << Access.Read;
/** Allowed-access bit of a store. */
export const W = 1 << Access.Write;
/** Allowed-access bit of an instruction fetch. */
export const X = 1 << Access.Execute;

/**
 * The accesses AP[2:1], PXN and UXN allow at an Exception level (Arm ARM
 * D8.4.1 "Data access permissions", D8.4.2 "Execute-never controls",
 * AArch64.S1ApplyOutputPerms; QEMU `get_S1prot`). `i` packs AP[1] (bit 0),
 * AP[2] (bit 1), PXN (bit 2), UXN (bit 3).
 */
export function allowed(i: number, el: number, pan: boolean, wxn: boolean): number {
  const ap1 = (i & 1) !== 0;
  const ap2 = (i & 2) !== 0;
  const pxn = (i & 4) !== 0;
  const uxn = (i & 8) !== 0;
  const userW = ap1 && !ap2;
  if (el === 2) {
    // One privilege level: AP[2] alone (AP[1] is RES1), XN is bit 54; no PAN.
    return R | (ap2 ? 0 : W) | (!uxn && !(wxn && !ap2) ? X : 0);
  }
  if (el === 0) {
    return (ap1 ? R : 0) | (userW ? W : 0) | (!uxn && !(wxn && userW) ? X : 0);
  }
  const privW = !ap2;
  // EL1 never executes what EL0 may write (the implied PXN of a two-range regime).
  const x = !pxn && !userW && !(wxn && privW) ? X : 0;
  // PAN: no EL1 data access to pages EL0 can read or write; fetches unaffected.
  if (pan && ap1) return x;
  return R | (privW ? W : 0) | x;
}

const TABLES: readonly Uint8Array[] = Array.from({ length: 12 }, (_, k) => {
  const t = new Uint8Array(16);
  for (let i = 0; i < 16; i++) t[i] = allowed(i, k >>> 2, (k & 2) !== 0, (k & 1) !== 0);
  return t;
});

/**
 * The permission table of an Exception level: entry `perm & 15` (the packed
 * AP[1], AP[2], PXN, UXN of a leaf) holds the allowed-access bits
 * ({@link R}, {@link W}, {@link X}). Shared and never written.
 */
export function permTable(el: number, pan: boolean, wxn: boolean): Uint8Array {
  return TABLES[(el << 2) | (pan ? 2 : 0) | (wxn ? 1 : 0)];
}

/**
 * A leaf's perm bits: effective AP[1], AP[2], PXN, UXN (bits 0..3, the table
 * attributes `tattr` = PXNTable | UXNTable << 1 | APTable << 2 merged unless
 * `hpd`) and AttrIndx (bits 4..6). In the EL2 regime AP[1] (RES1), PXN,
 * APTable[0] and PXNTable play no part and UXN is the XN bit.
 */
export function leafPerm(lo: number, hi: number, tattr: number, el2: boolean, hpd: boolean): number {
  if (el2) {
    let ap2 = (lo >>> 6) & 2;
    let xn = (hi >>> 22) & 1;
    if (!hpd) {
      xn |= (tattr >>> 1) & 1; // XNTable
      if (tattr & 8) ap2 = 2; // APTable[1]
    }
    return ap2 | (xn << 3) | (((lo >>> 2) & 7) << 4);
  }
  let ap = (lo >>> 6) & 3;
  let pxn = (hi >>> 21) & 1; // PXN, bit 53
  let uxn = (hi >>> 22) & 1; // UXN, bit 54
  if (!hpd) {
    pxn |= tattr & 1;
    uxn |= (tattr >>> 1) & 1;
    if (tattr & 4) ap &= 2; // APTable[0]: no EL0 access (AP[1] forced to 0)
    if (tattr & 8) ap |= 2; // APTable[1]: read-only (AP[2] forced to 1)
  }
  return ap | (pxn << 2) | (uxn << 3) | (((lo >>> 2) & 7) << 4);
}

/** MappingFlags of a memory-attribute byte: DEVICE for Device memory, UNCACHED for Normal inner+outer non-cacheable. */
export function memTypeFlags(attr: number): MappingFlags {
  if ((attr & 0xf0) === 0) return MappingFlags.DEVICE;
  if (attr === 0x44) return MappingFlags.UNCACHED;
  return 0;
}

/** READ / WRITE / EXECUTE of allowed-access bits. */
export function rwxFlags(ok: number): MappingFlags {
  return (ok & R ? MappingFlags.READ : 0) | (ok & W ? MappingFlags.WRITE : 0) | (ok & X ? MappingFlags.EXECUTE : 0);
}
