/**
 * The ARMv7 MMU's permission check (Arm ARM B3.7, "Memory access control":
 * AP, XN, PXN, domains) and memory-type decoding (B3.8.2 TEX/C/B, B3.8.3
 * PRRR/NMRR with TEX remap, B3.8 MAIR0/MAIR1), folded into the one perm
 * word the software TLB caches:
 *
 * | bits | meaning |
 * |---|---|
 * | 0..2 | PL1 may read / write / execute (as a Client domain would allow) |
 * | 3..5 | PL0 may read / write / execute |
 * | 6, 7 | DEVICE, UNCACHED memory type |
 * | 8..10 | leaf size code (see {@link SIZE_BYTES}) |
 * | 12..16 | the domain, 16 for long descriptors (no domains) |
 *
 * The domain's DACR field is applied on every access (hits included), as
 * the CPU does, so a DACR write needs no TLB maintenance.
 *
 * @module
 */

import { type Access, MappingFlags } from '@page-table/core';
import { AP_RIGHTS, AP_SIMPLE_RIGHTS, PL0_R, PL0_W, PL1_R, PL1_W } from './access-permissions.js';
import type { ArmV7Config } from './mmu-config.js';

/** Perm bit: the DEVICE memory type. */
export const PERM_DEVICE = 1 << 6;
/** Perm bit: the UNCACHED memory type. */
export const PERM_UNCACHED = 1 << 7;
/** Shift of the size code in the perm word. */
export const PERM_SIZE_SHIFT = 8;
/** Shift of the domain in the perm word. */
export const PERM_DOMAIN_SHIFT = 12;
/** The perm word's domain value of a long-descriptor leaf: always checked as a Client. */
export const NO_DOMAIN = 16;

/** Leaf sizes by size code: 4 KiB, 64 KiB, 1 MiB, 16 MiB (short); 2 MiB, 1 GiB (long). */
export const SIZE_BYTES: readonly number[] = [0x1000, 0x1_0000, 0x10_0000, 0x100_0000, 0x20_0000, 0x4000_0000];
/**
 * The SoftTlb level recorded for each size code: a level whose range (4 KiB,
 * 2 MiB, 1 GiB) holds the leaf, so invalidating by VA drops every cached page
 * of it (and perhaps neighbours, which hardware may also do).
 */
export const TLB_LEVEL: readonly number[] = [0, 1, 1, 2, 1, 2];

/**
 * Client rights of a leaf as perm bits 0..5: the data rights of its AP
 * (AP[2:0], or AP[2:1] when `simple`), execute where reading is allowed and
 * XN (and PXN, at PL1) are clear. An instruction fetch needs read
 * permission (B3.7.2). `af` false (the access flag is clear) gives no
 * rights at all: every Client access then re-walks and takes the fault.
 */
export function clientRights(ap: number, simple: boolean, xn: boolean, pxn: boolean, af: boolean): number {
  if (!af) return 0;
  const r = simple ? AP_SIMPLE_RIGHTS[(ap >>> 1) & 3] : AP_RIGHTS[ap & 7];
  let p = (r & PL1_R ? 1 : 0) | (r & PL1_W ? 2 : 0) | (r & PL0_R ? 8 : 0) | (r & PL0_W ? 16 : 0);
  if (!xn) {
    if (r & PL1_R && !pxn) p |= 4;
    if (r & PL0_R) p |= 32;
  }
  return p;
}

/** The DACR field of the perm word's domain: Client for long descriptors. */
export function domainAccess(dacr: number, perm: number): number {
  const d = (perm >>> PERM_DOMAIN_SHIFT) & 31;
  return d === NO_DOMAIN ? 1 : (dacr >>> (d * 2)) & 3;
}

/** Whether `access` at privilege `pl` passes the domain and permission checks of perm word `perm` under `dacr`. */
export function permits(dacr: number, perm: number, pl: number, access: Access): boolean {
  const dom = domainAccess(dacr, perm);
  if (dom === 3) return true;
  return dom === 1 && ((perm >>> ((1 - pl) * 3 + access)) & 1) !== 0;
}

/**
 * Effective permissions of perm word `perm` at privilege `pl` under `dacr`:
 * READ/WRITE/EXECUTE the access kinds that pass, USER when PL0 may read,
 * the memory type; a Manager domain allows everything.
 */
export function effectiveFlags(dacr: number, perm: number, pl: number): MappingFlags {
  const dom = domainAccess(dacr, perm);
  let f = (perm & PERM_DEVICE ? MappingFlags.DEVICE : 0) | (perm & PERM_UNCACHED ? MappingFlags.UNCACHED : 0);
  if (dom === 3) return f | MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
  if (dom !== 1) return f;
  const own = (perm >>> ((1 - pl) * 3)) & 7;
  f |= (own & 1 ? MappingFlags.READ : 0) | (own & 2 ? MappingFlags.WRITE : 0) | (own & 4 ? MappingFlags.EXECUTE : 0);
  return perm & 8 ? f | MappingFlags.USER : f;
}

/** Size in bytes of the leaf of perm word `perm`. */
export function permSize(perm: number): number {
  return SIZE_BYTES[(perm >>> PERM_SIZE_SHIFT) & 7];
}

/**
 * Perm memory-type bits of a short descriptor's TEX[2:0]/C/B: with TEX remap
 * off the fixed encodings (B3.8.2; Strongly-ordered and Device read as
 * DEVICE, Non-cacheable Normal as UNCACHED); with SCTLR.TRE = 1 region n =
 * TEX[0]:C:B of PRRR (TRn: 00 Strongly-ordered, 01 Device, 10 Normal) and,
 * for Normal memory, NMRR's IRn/ORn (both 00: UNCACHED).
 */
export function shortMemType(cfg: ArmV7Config, tex: number, c: number, b: number): number {
  if (cfg.tre) {
    const n = ((tex & 1) << 2) | (c << 1) | b;
    const tr = (cfg.prrr >>> (2 * n)) & 3;
    if (tr === 0 || tr === 1) return PERM_DEVICE;
    const ir = (cfg.nmrr >>> (2 * n)) & 3;
    const or = (cfg.nmrr >>> (16 + 2 * n)) & 3;
    return tr === 2 && ir === 0 && or === 0 ? PERM_UNCACHED : 0;
  }
  const v = (tex << 2) | (c << 1) | b;
  if (v === 0b000_00 || v === 0b000_01 || v === 0b010_00) return PERM_DEVICE;
  return v === 0b001_00 || v === 0b100_00 ? PERM_UNCACHED : 0;
}

/**
 * Perm memory-type bits of a long descriptor's AttrIndx: the MAIR0/MAIR1
 * attribute byte (B4.1, MAIR0 and MAIR1): 0000xxxx Strongly-ordered or Device (DEVICE),
 * outer and inner Non-cacheable 0x44 (UNCACHED), else Normal.
 */
export function lpaeMemType(cfg: ArmV7Config, attrIndx: number): number {
  const attr = (attrIndx < 4 ? cfg.mair0 >>> (8 * attrIndx) : cfg.mair1 >>> (8 * (attrIndx - 4))) & 0xff;
  if (attr >>> 4 === 0) return PERM_DEVICE;
  return attr === 0x44 ? PERM_UNCACHED : 0;
}

/** Why a Client access was refused, for the debug walk. */
export function denialText(perm: number, pl: number, access: Access): string {
  const own = (perm >>> ((1 - pl) * 3)) & 7;
  const who = pl === 0 ? 'PL0' : 'PL1';
  if (access === 2) return own & 1 ? `XN/PXN forbid execution at ${who}` : `no read access at ${who}, so no execution`;
  return access === 1 ? `AP forbids writes at ${who}` : `AP forbids reads at ${who}`;
}
