/**
 * The four PDPTE registers of PAE paging (Intel SDM Vol. 3A §4.4.1): the
 * processor loads them from the 32-byte page-directory-pointer table at
 * CR3[31:5] when CR3 is written, and when a write of CR0 or CR4 that changes
 * CR0.CD/NW/PG or CR4.PAE/PGE/PSE/SMEP leaves PAE paging in use; walks then
 * use the registers, not memory. A present PDPTE with a reserved bit set
 * makes that write raise #GP(0) and leaves the registers as they were.
 *
 * @module
 */

import type { PhysMemory } from '@page-table/core';

/** The PDPTE registers: PDPTE i as words 2i (low) and 2i + 1 (high). Never written once loaded. */
export type X64Pdptes = Readonly<Uint32Array>;

/** The registers outside PAE paging: four not-present entries. */
export const NO_PDPTES: X64Pdptes = new Uint32Array(8);

/** PDPTE bit 0: present. */
export const PDPTE_P = 0x1;
/** Reserved bits of a present PDPTE's low word: bits 2:1 and 8:5 (SDM Table 4-8). */
export const PDPTE_RSVD_LO = 0x1e6;

/** Reserved bits of a present PDPTE's high word: bits 63:M for MAXPHYADDR `m` (SDM Table 4-8). */
export function pdpteRsvdHi(m: number): number {
  return ~((2 ** (m - 32) - 1) | 0) >>> 0;
}

/**
 * Reads the PDPTEs at `pdptPa` (32-byte aligned) from `mem`: the registers,
 * or why the load raises #GP(0) (the PDPT outside physical memory reads as
 * all ones on the bus, which sets reserved bits).
 */
export function loadPdptes(mem: PhysMemory, pdptPa: number, m: number): X64Pdptes | string {
  const base = mem.frameWord(Math.floor(pdptPa / 4096));
  if (base < 0) return `the PDPT at 0x${pdptPa.toString(16)} is outside physical memory`;
  const w = base + (pdptPa % 4096) / 4;
  const out = new Uint32Array(8);
  const rsvdHi = pdpteRsvdHi(m);
  for (let i = 0; i < 4; i++) {
    const lo = mem.words[w + 2 * i];
    const hi = mem.words[w + 2 * i + 1];
    if ((lo & PDPTE_P) !== 0 && ((lo & PDPTE_RSVD_LO) !== 0 || (hi & rsvdHi) !== 0)) {
      const bits = (BigInt(hi & rsvdHi) << 32n) | BigInt(lo & PDPTE_RSVD_LO);
      return `PDPTE ${i} (at 0x${(pdptPa + 8 * i).toString(16)}) is present with reserved bits 0x${bits.toString(16)} set`;
    }
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
  }
  return out;
}
