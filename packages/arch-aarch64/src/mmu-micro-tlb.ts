/**
 * The AArch64 MMU's two micro-TLBs in front of the software TLB: the last
 * data pages (one per slot of VA bits 17..12) and the last page fetched from, each with the accesses
 * the current EL, PAN and WXN allow there, plus what the last successful
 * translation found (for `lastSize` / `lastFlags`). Emptied by every TLBI
 * and register write, so they never outlive the state they were filled under.
 *
 * @module
 */

import { Access } from '@page-table/core';
import { R, W, X } from './mmu-perms.js';

/** Data micro-TLB slots (a power of two), indexed by VA bits 17..12. */
export const DATA_SLOTS = 64;

/** The micro-TLB entries and the last translation's result, as plain fields the hit path reads. */
export class A64MicroTlb {
  /**
   * Data entries by VA bits 17..12, four words each, read together on a hit:
   * VA bits 31..12 (-1 = empty), the raw VA high word, the allowed loads /
   * stores (allowed-access bits), and the leaf's perm bits | log2 of its size << 8.
   */
  readonly d: Int32Array = new Int32Array(DATA_SLOTS * 4).fill(-1);
  /** Data entries: PA of the page. */
  readonly dBase: Float64Array = new Float64Array(DATA_SLOTS);
  /** Fetch entry: raw VA high word (-1 = empty). */
  iHi = -1;
  /** Fetch entry: VA bits 31..12. */
  iVpn = 0;
  /** Fetch entry: whether fetches are allowed. */
  iOk = 0;
  /** Fetch entry: perm bits. */
  iPerm = 0;
  /** Fetch entry: log2 of the leaf's size. */
  iBits = 12;
  /** Fetch entry: PA of the page. */
  iBase = 0;
  /** Perm bits of the last successful translation (-1 = MMU off). */
  lastPerm = 0;
  /** log2 of the leaf size of the last successful translation. */
  lastBits = 12;
  /** Access of the last successful translation. */
  lastAccess = 0;

  /** Records a translation (leaf of 2^`bits` bytes) as the last one, and as the micro-TLB entry of its kind; `ok` is its allowed-access bits. */
  // Takes the 4 KiB frame, not the PA: a PA above 2^31 passed to a call is a heap number, allocated per miss.
  fill(hi: number, vpn: number, access: number, perm: number, bits: number, frame: number, ok: number): void {
    const base = frame * 4096;
    if (access === Access.Execute) {
      this.iHi = hi;
      this.iVpn = vpn;
      this.iOk = ok & X;
      this.iPerm = perm;
      this.iBits = bits;
      this.iBase = base;
    } else {
      const k = vpn & (DATA_SLOTS - 1);
      const d = this.d;
      const b = k << 2;
      d[b] = vpn;
      d[b + 1] = hi;
      d[b + 2] = ok & (R | W);
      d[b + 3] = perm | (bits << 8);
      this.dBase[k] = base;
    }
    this.last(perm, bits, access);
  }

  /** Records the last successful translation without filling an entry. */
  last(perm: number, bits: number, access: number): void {
    this.lastPerm = perm;
    this.lastBits = bits;
    this.lastAccess = access;
  }

  /** Empties both entries. */
  drop(): void {
    this.iHi = -1;
    this.d.fill(-1);
  }
}
