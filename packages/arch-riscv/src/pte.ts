/**
 * The RV64 page-table entry shared by Sv39, Sv48 and Sv57 (RISC-V privileged
 * spec, "Sv39: Page-Based 39-bit Virtual-Memory System", PTE format).
 *
 * ```text
 *  63  62..61  60..54  53 ........... 10  9..8  7 6 5 4 3 2 1 0
 *   N   PBMT   (zero)  PPN[2..n] (44 bits)  RSW  D A G U X W R V
 * ```
 *
 * Bits 0..31 are the low word, bits 32..63 the high word; the 44-bit PPN
 * straddles them (PPN bits 0..21 in low bits 10..31, PPN bits 22..43 in high
 * bits 0..21).
 *
 * @module
 */

import { GenericPTE, MappingFlags } from '@page-table/core';

/** Valid: the entry is a leaf or a pointer to the next level. */
export const PTE_V = 1 << 0;
/** Readable leaf. */
export const PTE_R = 1 << 1;
/** Writable leaf (reserved without {@link PTE_R}). */
export const PTE_W = 1 << 2;
/** Executable leaf. */
export const PTE_X = 1 << 3;
/** Accessible from U-mode. */
export const PTE_U = 1 << 4;
/** Global mapping (present in every address space); never set by this codec. */
export const PTE_G = 1 << 5;
/** Accessed. Set on every leaf, so hardware without Svadu never faults to set it. */
export const PTE_A = 1 << 6;
/** Dirty. Set on every leaf, like {@link PTE_A}. */
export const PTE_D = 1 << 7;
/** Bit position of the PPN field in the entry. */
export const PTE_PPN_SHIFT = 10;

/*
 * Bits 60..63 live in the high word: entry bit n is high-word bit n - 32.
 * Standard meaning (Svpbmt, Svnapot) first, then the XuanTie C9xx reuse.
 */

/** Svpbmt PBMT = NC (1): non-cacheable, idempotent, weakly ordered main memory (entry bit 61). */
export const PTE_PBMT_NC_HI = 1 << 29;
/** Svpbmt PBMT = IO (2): non-cacheable, non-idempotent, strongly ordered I/O (entry bit 62). */
export const PTE_PBMT_IO_HI = 1 << 30;
/** Svnapot N: the leaf is part of a naturally aligned power-of-two range (entry bit 63); never set here. */
export const PTE_N_HI = 1 << 31;
/** XuanTie C9xx SH, shareable (entry bit 60). */
export const XUANTIE_SH_HI = 1 << 28;
/** XuanTie C9xx B, bufferable (entry bit 61). */
export const XUANTIE_B_HI = 1 << 29;
/** XuanTie C9xx C, cacheable (entry bit 62). */
export const XUANTIE_C_HI = 1 << 30;
/** XuanTie C9xx SO, strong order (entry bit 63). */
export const XUANTIE_SO_HI = 1 << 31;
/** XuanTie C9xx device memory: SO | B. */
export const XUANTIE_DEVICE_HI = (XUANTIE_SO_HI | XUANTIE_B_HI) >>> 0;
/** XuanTie C9xx normal memory: C | B | SH. */
export const XUANTIE_NORMAL_HI = XUANTIE_C_HI | XUANTIE_B_HI | XUANTIE_SH_HI;

/** PPN bits 22..43, as they sit in the high word. */
const PPN_HI_MASK = 0x3f_ffff;
/** PPN values per high-word unit: 2^22. */
const PPN_LO_SPAN = 0x40_0000;
/** R, W, X and U sit one bit above READ, WRITE, EXECUTE and USER of {@link MappingFlags}. */
const RWXU_SHIFT = 1;
const RWXU = 0xf;
const ALL_FLAGS = 0x3f;

/** Run-time choice of the memory-type bits a leaf carries. */
export interface Rv64PTEOptions {
  /**
   * Write the XuanTie C9xx (C906/C910/C920) memory-type bits, as the Rust
   * crate's `xuantie-c9xx` feature: DEVICE leaves get SO | B, every other
   * leaf C | B | SH. Needed on those cores, where a leaf with bits 60..63
   * clear is strongly ordered and uncached.
   */
  readonly xuantie?: boolean;
  /**
   * Write Svpbmt memory types (needs `menvcfg.PBMTE`): DEVICE leaves get
   * PBMT = IO, UNCACHED leaves PBMT = NC, others PBMT = PMA. Unlike XuanTie
   * mode, the type is also read back as DEVICE / UNCACHED.
   */
  readonly svpbmt?: boolean;
}

/** Low-word bits of a leaf for each of the 64 flag sets: nothing for no flags (upstream), else V | A | D plus R/W/X/U. */
const LEAF_LO = /* @__PURE__ */ (() => {
  const t = new Int32Array(ALL_FLAGS + 1);
  for (let f = 1; f <= ALL_FLAGS; f++) t[f] = PTE_V | PTE_A | PTE_D | ((f & RWXU) << RWXU_SHIFT);
  return t;
})();

/** High-word memory-type bits of a leaf for each flag set under `options`. */
function leafHiTable(options: Rv64PTEOptions): Int32Array {
  const t = new Int32Array(ALL_FLAGS + 1);
  for (let f = 1; f <= ALL_FLAGS; f++) {
    if (options.xuantie) t[f] = f & MappingFlags.DEVICE ? XUANTIE_DEVICE_HI : XUANTIE_NORMAL_HI;
    else if (options.svpbmt)
      t[f] = f & MappingFlags.DEVICE ? PTE_PBMT_IO_HI : f & MappingFlags.UNCACHED ? PTE_PBMT_NC_HI : 0;
  }
  return t;
}

/** Flags reported for each PBMT value (entry bits 61..62), under `options`. */
function memFlagsTable(options: Rv64PTEOptions): Int32Array {
  const t = new Int32Array(4);
  if (options.svpbmt) {
    t[1] = MappingFlags.UNCACHED;
    t[2] = MappingFlags.DEVICE;
  }
  return t;
}

/**
 * Codec of RV64 Sv39/Sv48/Sv57 entries, bit-exact with page_table_entry
 * 0.6.1's `Rv64PTE` (optionally with its `xuantie-c9xx` feature).
 *
 * - A leaf (any level) is V | A | D plus R/W/X/U from READ/WRITE/EXECUTE/USER;
 *   A and D are preset so no A/D-update fault is ever taken. No flags at all
 *   encode the PPN alone (not valid). G, RSW, N are never written.
 * - A table link is V alone with the PPN: A, D and U must be clear on
 *   non-leaf entries. Non-leaf entries carry no permissions (privileged
 *   spec, the Sv32 entry format Sv39/48/57 share: D, A, U are reserved in a
 *   non-leaf entry), so the inherited `tableRestrictions` (nothing) is
 *   exact: a leaf's effective flags are its own.
 * - {@link checkFlags} refuses the R/W/X encodings the privileged spec
 *   reserves (W without R) and sets that would read as a table link (no R or
 *   X), where upstream writes them as given.
 *
 * One instance per configuration is enough: see {@link RV64_PTE},
 * {@link RV64_PTE_XUANTIE}, {@link RV64_PTE_SVPBMT}.
 */
export class Rv64PTE extends GenericPTE {
  readonly arch: string;
  /** Whether leaves carry XuanTie C9xx memory-type bits. */
  readonly xuantie: boolean;
  /** Whether leaves carry Svpbmt memory types. */
  readonly svpbmt: boolean;
  private readonly leafHi: Int32Array;
  private readonly memFlags: Int32Array;

  /** A codec; `xuantie` and `svpbmt` both claim bits 61..62, so at most one may be set. */
  constructor(options: Rv64PTEOptions = {}) {
    super();
    if (options.xuantie && options.svpbmt) {
      throw new TypeError('Rv64PTE: xuantie and svpbmt both use entry bits 61..62; choose one');
    }
    this.xuantie = options.xuantie === true;
    this.svpbmt = options.svpbmt === true;
    this.arch = this.xuantie ? 'riscv64 (XuanTie C9xx)' : this.svpbmt ? 'riscv64 (Svpbmt)' : 'riscv64';
    this.leafHi = leafHiTable(options);
    this.memFlags = memFlagsTable(options);
  }

  /** V. */
  present(lo: number, _hi: number): boolean {
    return (lo & PTE_V) !== 0;
  }

  /** V with R, W and X clear: a pointer to the next level (the spec's rule, whatever A/D/U hold). */
  table(lo: number, _hi: number): boolean {
    return (lo & (PTE_V | PTE_R | PTE_W | PTE_X)) === PTE_V;
  }

  /** R or X set, as upstream's `is_huge` (true for 4 KiB leaves too; only asked above the last level). */
  huge(lo: number, _hi: number): boolean {
    return (lo & (PTE_R | PTE_X)) !== 0;
  }

  /** The 44-bit PPN. */
  frame(lo: number, hi: number): number {
    return (lo >>> PTE_PPN_SHIFT) + (hi & PPN_HI_MASK) * PPN_LO_SPAN;
  }

  /** R/W/X/U as READ/WRITE/EXECUTE/USER when V; with Svpbmt also PBMT as DEVICE/UNCACHED. */
  decodeFlags(lo: number, hi: number): MappingFlags {
    return lo & PTE_V ? ((lo >>> RWXU_SHIFT) & RWXU) | this.memFlags[(hi >>> 29) & 3] : 0;
  }

  /** A leaf; `huge` changes nothing, a RISC-V leaf has the same format at every level. */
  encodePage(frame: number, flags: MappingFlags, _huge: boolean): void {
    const f = flags & ALL_FLAGS;
    // `frame << 10` keeps PPN bits 0..21 (ToInt32 takes the frame modulo 2^32); the division yields the rest.
    this.lo = ((frame << PTE_PPN_SHIFT) | LEAF_LO[f]) >>> 0;
    this.hi = (((frame / PPN_LO_SPAN) & PPN_HI_MASK) | this.leafHi[f]) >>> 0;
  }

  /** V and the PPN only. */
  encodeTable(frame: number): void {
    this.lo = ((frame << PTE_PPN_SHIFT) | PTE_V) >>> 0;
    this.hi = (frame / PPN_LO_SPAN) & PPN_HI_MASK;
  }

  /** Replaces the PPN, keeping bits 0..9 and 54..63. */
  setFrame(lo: number, hi: number, frame: number): void {
    this.lo = ((lo & 0x3ff) | (frame << PTE_PPN_SHIFT)) >>> 0;
    this.hi = ((hi & ~PPN_HI_MASK) | ((frame / PPN_LO_SPAN) & PPN_HI_MASK)) >>> 0;
  }

  /**
   * Refuses what a RISC-V leaf cannot hold: WRITE without READ (R/W/X = 010
   * and 110 are reserved; upstream writes them, and panics on them in debug
   * builds), and sets with neither READ nor EXECUTE (V alone would make the
   * leaf a pointer to a next-level table). DEVICE and UNCACHED are accepted
   * in every mode; without XuanTie or Svpbmt they are not encoded.
   */
  checkFlags(flags: MappingFlags): string | undefined {
    if ((flags & (MappingFlags.READ | MappingFlags.WRITE)) === MappingFlags.WRITE) {
      return 'RISC-V reserves WRITE without READ (R/W/X = 010 and 110); add READ';
    }
    if ((flags & (MappingFlags.READ | MappingFlags.EXECUTE)) === 0) {
      return 'a RISC-V leaf needs READ or EXECUTE; with neither it would read as a pointer to a next-level table';
    }
    return undefined;
  }
}

/** The plain codec (no memory-type bits), as the Rust crate's default features. */
export const RV64_PTE: Rv64PTE = /* @__PURE__ */ new Rv64PTE();
/** The codec with XuanTie C9xx memory-type bits (the Rust crate's `xuantie-c9xx` feature). */
export const RV64_PTE_XUANTIE: Rv64PTE = /* @__PURE__ */ new Rv64PTE({ xuantie: true });
/** The codec with Svpbmt memory types. */
export const RV64_PTE_SVPBMT: Rv64PTE = /* @__PURE__ */ new Rv64PTE({ svpbmt: true });

/** The shared codec instance for `options`. */
export function rv64PTE(options: Rv64PTEOptions = {}): Rv64PTE {
  if (options.xuantie && options.svpbmt) {
    throw new TypeError('Rv64PTE: xuantie and svpbmt both use entry bits 61..62; choose one');
  }
  return options.xuantie ? RV64_PTE_XUANTIE : options.svpbmt ? RV64_PTE_SVPBMT : RV64_PTE;
}
