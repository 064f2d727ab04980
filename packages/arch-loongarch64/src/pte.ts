/**
 * LoongArch64 page-table entries (LoongArch Reference Manual Vol. 1,
 * "Multi-level Page Table Structure" and "TLB Entry").
 *
 * A leaf holds `V D PLV MAT G P W PPN NR NX RPLV`; a directory entry holds a
 * bare physical address, or, with bit 6 (H) set, a huge leaf whose global bit
 * moves to bit 12.
 *
 * @module
 */

import { GenericPTE, type MappingFlags } from '@page-table/core';

/**
 * The named bits of a LoongArch64 entry as 64-bit masks, under the manual's
 * names (upstream calls `HGLOBAL` plain `G`).
 */
export const LA64PTEFlags = {
  /** Valid: the TLB entry translates. */
  V: 1n << 0n,
  /** Dirty: the hardware write-enable (a store to a D=0 page raises PME). */
  D: 1n << 1n,
  /** Low bit of PLV, the privilege level the page is accessible from. */
  PLVL: 1n << 2n,
  /** High bit of PLV (PLV = 3 is user). */
  PLVH: 1n << 3n,
  /** Low bit of MAT, the memory access type (1 = CC, coherent cached). */
  MATL: 1n << 4n,
  /** High bit of MAT (2 = WUC, weakly-ordered uncached; 0 = SUC, strongly-ordered uncached). */
  MATH: 1n << 5n,
  /** G of a 4 KiB PTE (global), H (huge leaf) of a directory entry. */
  GH: 1n << 6n,
  /** Present: software bit, read by the hardware page walker. */
  P: 1n << 7n,
  /** Writable: software bit, read by the hardware page walker. */
  W: 1n << 8n,
  /** Global bit of a huge entry (address bit 12 of a 4 KiB PTE). */
  HGLOBAL: 1n << 12n,
  /** No-read: loads raise PNR. */
  NR: 1n << 61n,
  /** No-execute: fetches raise PNX. */
  NX: 1n << 62n,
  /** Restricted PLV: the page is accessible only at exactly PLV, not at any level up to it. */
  RPLV: 1n << 63n,
} as const;

/** The physical-address field of an entry: bits 12..47 (PALEN 48). */
export const LA64_PHYS_ADDR_MASK = 0x0000_ffff_ffff_f000n;

// The same bits as 32-bit half-word masks, for the hot path.
const V = 1 << 0;
const D = 1 << 1;
const PLV3 = 3 << 2;
const MATL = 1 << 4;
const MATH = 1 << 5;
const GH = 1 << 6;
const P = 1 << 7;
const W = 1 << 8;
/** NR, NX as masks of the high word (bits 61, 62). */
const NR_HI = 1 << 29;
const NX_HI = 1 << 30;
/** Address bits 32..47 in the high word. */
const ADDR_HI = 0xffff;

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/**
 * The LoongArch64 entry codec, bit-exact to page_table_entry 0.6.1's `LA64PTE`
 * except that a huge leaf never carries an address in bit 12: there that bit
 * is HGLOBAL, so `encodePage` never sets it (upstream copies PA bit 12 into
 * it, making an unaligned block global).
 *
 * - `present` is P (as upstream), `huge` is GH.
 * - `table` is "GH clear and a non-zero address": directory entries have no
 *   valid bit, so `encodeTable` writes the bare address the hardware walker
 *   (LDDIR) expects, and the walker still descends them.
 * - `frame` / `setFrame` cover the whole field, bits 12..47, as upstream: bit
 *   6 is G in a PTE but H in a directory entry, so only the level tells
 *   whether bit 12 is an address bit. The walker aligns a block's frame to
 *   the block size, which drops HGLOBAL there.
 * - Every non-empty flag set is a leaf LoongArch can express: NR makes
 *   READ-less pages, so write-only and execute-only pages are accepted.
 * - Directory entries carry no permissions (LDDIR reads only the next
 *   table's address), so the inherited `tableRestrictions` (nothing) is
 *   exact: a leaf's effective flags are its own.
 */
export class LA64PTE extends GenericPTE {
  readonly arch = 'loongarch64';

  present(lo: number, _hi: number): boolean {
    return (lo & P) !== 0;
  }

  table(lo: number, hi: number): boolean {
    return (lo & GH) === 0 && ((lo >>> 12) | (hi & ADDR_HI)) !== 0;
  }

  huge(lo: number, _hi: number): boolean {
    return (lo & GH) !== 0;
  }

  frame(lo: number, hi: number): number {
    // The whole field, bit 12 included: bit 6 alone cannot tell a huge entry (bit 12 = HGLOBAL)
    // from a global 4K PTE (bit 12 = PA bit 12). The walker aligns a block's frame to its size.
    return (hi & ADDR_HI) * 0x10_0000 + (lo >>> 12);
  }

  decodeFlags(lo: number, hi: number): MappingFlags {
    const matl = (lo >>> 4) & 1;
    const math = (lo >>> 5) & 1;
    const flags =
      (((hi >>> 29) & 1) ^ 1) | // !NR → READ
      ((lo >>> 7) & WRITE) | // W (bit 8) → WRITE (bit 1)
      ((((hi >>> 30) & 1) ^ 1) << 2) | // !NX → EXECUTE
      (((lo >>> 2) & (lo >>> 3) & 1) << 3) | // PLV = 3 → USER
      (((matl | math) ^ 1) << 4) | // MAT = SUC → DEVICE
      (((matl ^ 1) & math) << 5); // MAT = WUC → UNCACHED
    return -(lo & V) & flags; // nothing when V is clear
  }

  encodePage(frame: number, flags: MappingFlags, huge: boolean): void {
    const h = huge ? GH : 0;
    // A huge leaf's bit 12 is HGLOBAL, never an address bit (its frame is block-aligned anyway).
    const addrLo = (frame & 0xf_ffff & ~(h >>> 6)) << 12;
    const addrHi = ((frame / 0x10_0000) >>> 0) & ADDR_HI;
    if (flags === 0) {
      // Upstream writes the address and structural bits only: a non-present, non-zero entry.
      this.lo = (addrLo | h) >>> 0;
      this.hi = addrHi;
      return;
    }
    let lo = V | P | h;
    if (flags & WRITE) lo |= W | D;
    if (flags & USER) lo |= PLV3;
    if (!(flags & DEVICE)) lo |= flags & UNCACHED ? MATH : MATL;
    this.lo = (addrLo | lo) >>> 0;
    this.hi = (addrHi | (flags & READ ? 0 : NR_HI) | (flags & EXECUTE ? 0 : NX_HI)) >>> 0;
  }

  encodeTable(frame: number): void {
    this.lo = ((frame & 0xf_ffff) << 12) >>> 0;
    this.hi = ((frame / 0x10_0000) >>> 0) & ADDR_HI;
  }

  setFrame(lo: number, hi: number, frame: number): void {
    this.lo = ((lo & 0xfff) | ((frame & 0xf_ffff) << 12)) >>> 0;
    this.hi = ((hi & ~ADDR_HI) | (((frame / 0x10_0000) >>> 0) & ADDR_HI)) >>> 0;
  }

  checkFlags(_flags: MappingFlags): string | undefined {
    // NR, NX, PLV and MAT are independent: every permission set is a valid leaf.
    return undefined;
  }
}

/** The codec instance both paging modes share (its `lo`/`hi` are scratch output, read right after each encode). */
export const LA64_PTE: LA64PTE = /* @__PURE__ */ new LA64PTE();
