/**
 * The LoongArch64 MMU's permission table: for the current CRMD.PLV and
 * MISC.DWPL, the outcome of every access kind on every TLB half, in the
 * manual's check order V → NX → PLV/RPLV → NR → D (LoongArch Reference
 * Manual Vol. 1, "Page Table Mapping Memory Access Type", "TLB Entry").
 *
 * A TLB half is cached as a permission word: V D PLV MAT (bits 0-5), NR NX
 * RPLV (6-8), log2 of the size (9-14). The table is indexed by the low 9
 * bits of that word, so a hit costs one typed-array load.
 *
 * @module
 */

import { MappingFlags } from '@page-table/core';
import { LA64Ecode } from './fault.js';

/** Permission word: V. */
export const P_V = 1;
/** Permission word: D (the write enable). */
export const P_D = 2;
/** Permission word: NR. */
export const P_NR = 1 << 6;
/** Permission word: NX. */
export const P_NX = 1 << 7;
/** Permission word: RPLV. */
export const P_RPLV = 1 << 8;

const ACCESS_STRIDE = 512;

/** Flags of a memory access type (MAT): 0 strongly-ordered uncached, 1 coherent cached, 2 weakly-ordered uncached. */
export function matFlags(mat: number): MappingFlags {
  return mat === 0 ? MappingFlags.DEVICE : mat === 2 ? MappingFlags.UNCACHED : 0;
}

/** What a permission word allows at one privilege level; never changed once built. */
export interface LA64Rights {
  /** CRMD.PLV the table was built for. */
  readonly plv: number;
  /** MISC the table was built for. */
  readonly misc: number;
  /** Ecode (0 = allowed) of access kind `a` on word `w`, at `a * 512 + (w & 511)`. */
  readonly codes: Uint8Array;
}

/** The Ecode (0 = allowed) of `access` (0 read, 1 write, 2 fetch) on permission word `perm`, in the manual's order. */
function checkOne(perm: number, access: number, plv: number, misc: number): number {
  if ((perm & P_V) === 0) return LA64Ecode.PIL + access;
  if (access === 2 && (perm & P_NX) !== 0) return LA64Ecode.PNX;
  const eplv = (perm >>> 2) & 3;
  if ((perm & P_RPLV) !== 0 ? plv !== eplv : plv > eplv) return LA64Ecode.PPI;
  if (access === 0 && (perm & P_NR) !== 0) return LA64Ecode.PNR;
  if (access === 1 && (perm & P_D) === 0 && (plv === 3 || ((misc >>> (16 + plv)) & 1) === 0)) return LA64Ecode.PME;
  return 0;
}

/** Builds the table for CRMD.PLV `plv` and MISC `misc`. */
export function buildLA64Rights(plv: number, misc: number): LA64Rights {
  const codes = new Uint8Array(3 * ACCESS_STRIDE);
  for (let a = 0; a < 3; a++)
    for (let w = 0; w < ACCESS_STRIDE; w++) codes[a * ACCESS_STRIDE + w] = checkOne(w, a, plv, misc);
  return Object.freeze({ plv, misc, codes });
}

/** Ecode (0 = allowed) of access kind `access` on permission word `perm`. */
export function rightsCode(r: LA64Rights, perm: number, access: number): number {
  return r.codes[access * ACCESS_STRIDE + (perm & 511)];
}

/** Effective flags of a permission word at the table's PLV and MISC. */
export function permFlags(r: LA64Rights, perm: number): MappingFlags {
  if ((perm & P_V) === 0) return 0;
  const writable = (perm & P_D) !== 0 || (r.plv < 3 && ((r.misc >>> (16 + r.plv)) & 1) !== 0);
  return (
    ((perm & P_NR) === 0 ? MappingFlags.READ : 0) |
    (writable ? MappingFlags.WRITE : 0) |
    ((perm & P_NX) === 0 ? MappingFlags.EXECUTE : 0) |
    ((perm & 0xc) === 0xc ? MappingFlags.USER : 0) |
    matFlags((perm >>> 4) & 3)
  );
}

/** Why the check gave Ecode `code` on word `perm`, in words. */
export function rightsReason(r: LA64Rights, code: number, perm: number): string {
  const eplv = (perm >>> 2) & 3;
  switch (code) {
    case LA64Ecode.PIL:
    case LA64Ecode.PIS:
    case LA64Ecode.PIF:
      return 'the page is invalid (V=0)';
    case LA64Ecode.PNX:
      return 'fetch from a no-execute page (NX=1)';
    case LA64Ecode.PPI:
      return (perm & P_RPLV) !== 0
        ? `CRMD.PLV=${r.plv} is not the page's PLV ${eplv} (RPLV=1)`
        : `CRMD.PLV=${r.plv} is above the page's PLV ${eplv}`;
    case LA64Ecode.PNR:
      return 'load from a no-read page (NR=1)';
    default:
      return 'store to a page with D=0';
  }
}
