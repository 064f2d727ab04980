/**
 * The RISC-V permission rule of a leaf (privileged spec, "Virtual Address
 * Translation Process" step 5 and "Memory Privilege in mstatus Register":
 * SUM, MXR) as a function and as the table a TLB hit is checked against.
 * The four tables (one per SUM/MXR pair) are built once.
 *
 * @module
 */

import { Access, MappingFlags } from '@page-table/core';
import { PTE_D, PTE_R, PTE_U, PTE_W, PTE_X } from './pte.js';

/** TLB perm bit above the PTE's low byte: the leaf is a Svnapot (N = 1) leaf. */
export const PERM_NAPOT = 1 << 8;
/** Shift of the leaf's PBMT value (Svpbmt) in the TLB perm word. */
export const PERM_PBMT_SHIFT = 9;

/** The SUM/MXR state and the TLB-hit verdicts it implies. */
export interface RiscvRights {
  /** `mstatus.SUM`: S-mode loads and stores may touch U = 1 pages. */
  readonly sum: boolean;
  /** `mstatus.MXR`: loads may read X-only pages. */
  readonly mxr: boolean;
  /**
   * Verdicts by {@link hitIndex}: 1 = a TLB hit with these perm bits may be
   * served (step 5 passes, and a store finds D = 1; a clean entry re-walks to set D).
   */
  readonly hitOk: Uint8Array;
}

/** Whether a leaf with low bits `pte` allows `access` at privilege `p` (0 or 1) under `r`'s SUM and MXR (step 5). */
export function permits(r: RiscvRights, pte: number, access: Access, p: number): boolean {
  if ((pte & PTE_U) !== 0) {
    if (p === 1 && (access === Access.Execute || !r.sum)) return false;
  } else if (p === 0) return false;
  if (access === Access.Read) return (pte & PTE_R) !== 0 || (r.mxr && (pte & PTE_X) !== 0);
  if (access === Access.Write) return (pte & PTE_W) !== 0;
  return (pte & PTE_X) !== 0;
}

/** Index into {@link RiscvRights.hitOk} of an access at privilege `p` (0 or 1) against TLB perm word `perm`. */
export function hitIndex(p: number, access: number, perm: number): number {
  return (p * 3 + access) * 32 + (((perm >>> 1) & 15) | ((perm >>> 3) & 16));
}

function build(sum: boolean, mxr: boolean): RiscvRights {
  const hitOk = new Uint8Array(192);
  const r: RiscvRights = { sum, mxr, hitOk };
  for (let p = 0; p < 2; p++) {
    for (let access = 0; access < 3; access++) {
      for (let k = 0; k < 32; k++) {
        const pte = ((k & 15) << 1) | (k & 16 ? PTE_D : 0);
        const ok = permits(r, pte, access as Access, p) && (access !== Access.Write || (pte & PTE_D) !== 0);
        hitOk[(p * 3 + access) * 32 + k] = ok ? 1 : 0;
      }
    }
  }
  return Object.freeze(r);
}

const TABLES: readonly RiscvRights[] = [build(false, false), build(true, false), build(false, true), build(true, true)];

/** The (shared, prebuilt) rights of a SUM/MXR pair. */
export function riscvRights(sum: boolean, mxr: boolean): RiscvRights {
  return TABLES[(sum ? 1 : 0) | (mxr ? 2 : 0)];
}

/** Effective permissions of TLB perm word `perm` at privilege `p`: R/W/X allowed, USER for U = 1, PBMT's memory type. */
export function effectiveFlags(r: RiscvRights, perm: number, p: number): MappingFlags {
  let f = 0;
  if (permits(r, perm, Access.Read, p)) f |= MappingFlags.READ;
  if (permits(r, perm, Access.Write, p)) f |= MappingFlags.WRITE;
  if (permits(r, perm, Access.Execute, p)) f |= MappingFlags.EXECUTE;
  if ((perm & PTE_U) !== 0) f |= MappingFlags.USER;
  const pbmt = (perm >>> PERM_PBMT_SHIFT) & 3;
  if (pbmt === 1) f |= MappingFlags.UNCACHED;
  else if (pbmt === 2) f |= MappingFlags.DEVICE;
  return f;
}

/** Why step 5 refused `access` at privilege `p` on a leaf with low bits `pte`, for the debug walk. */
export function denialText(r: RiscvRights, pte: number, access: Access, p: number): string {
  if ((pte & PTE_U) !== 0 && p === 1)
    return access === Access.Execute ? 'S-mode fetch from a U=1 page' : 'U=1 page at S-mode with SUM=0';
  if ((pte & PTE_U) === 0 && p === 0) return 'U=0 page at U-mode';
  if (access === Access.Read) return r.mxr ? 'load needs R or X (MXR=1)' : 'load needs R (MXR=0)';
  return access === Access.Write ? 'store needs W' : 'fetch needs X';
}
