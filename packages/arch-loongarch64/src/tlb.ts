/**
 * The architectural LoongArch TLB: an STLB (one page size, STLBPS,
 * set-associative) and an MTLB (any page size, fully associative), each
 * entry an even/odd pair of pages tagged with an ASID and a global bit
 * (LoongArch Reference Manual Vol. 1, "TLB Structure", "TLB Entry",
 * "TLB Maintenance Instructions"). Entries with V = 0 halves are kept like
 * any other: a negative result stays cached until the guest invalidates it.
 *
 * @module
 */

import type { AddrLike, VirtAddr } from '@page-table/memory-addr';

/**
 * A TLB entry as software writes it with TLBFILL / TLBWR: the CSR values the
 * instruction reads (TLBEHI, TLBELO0/1, TLBIDX.PS, ASID; in the refill
 * handler TLBREHI, TLBRELO0/1 and TLBREHI.PS).
 */
export interface LA64TlbEntry {
  /** TLBEHI / TLBREHI: a VA of the pair; only VPPN (bits [VALEN-1:PS+1]) is kept. */
  readonly ehi: AddrLike;
  /** TLBELO0 / TLBRELO0: the even page (V D PLV MAT G PPN NR NX RPLV; other bits ignored). */
  readonly elo0: AddrLike;
  /** TLBELO1 / TLBRELO1: the odd page. */
  readonly elo1: AddrLike;
  /** TLBIDX.PS / TLBREHI.PS: log2 of the size of one page of the pair (12 = 4 KiB). */
  readonly ps: number;
  /** ASID.ASID (10 bits) the entry is tagged with; default: the MMU's current ASID. */
  readonly asid?: number;
  /** TLBIDX.NE for TLBWR: write the entry as not existing (E = 0). Ignored by TLBFILL. */
  readonly ne?: boolean;
}

/** A TLB entry as TLBRD reads it back. */
export interface LA64TlbEntryInfo {
  /** The entry's index (STLB: way × sets + set; MTLB: after the STLB). */
  readonly index: number;
  /** The pair's first VA: VPPN with bits below PS+1 cleared, sign-extended from VALEN-1. */
  readonly ehi: VirtAddr;
  /** Page size exponent of each half. */
  readonly ps: number;
  /** The ASID the entry is tagged with. */
  readonly asid: number;
  /** Global: matches every ASID (set only when both TLBELO G bits were 1). */
  readonly g: boolean;
  /** The even half as TLBELO0 reads it (G = the entry's G). */
  readonly elo0: bigint;
  /** The odd half as TLBELO1 reads it. */
  readonly elo1: bigint;
}

/** Geometry of the architectural TLB. */
export interface LA64TlbGeometry {
  /** STLB sets (a power of two). Default 256 (Loongson 3A5000 / QEMU: 2048-entry STLB). */
  stlbSets?: number;
  /** STLB ways. Default 8. */
  stlbWays?: number;
  /** MTLB entries. Default 64. */
  mtlbEntries?: number;
}

const POW2: readonly number[] = Array.from({ length: 66 }, (_, i) => 2 ** i);

/**
 * The TLB array. Internal to `LA64Mmu`: fields are halves and numbers, VAs
 * are the low VALEN bits as a number (`va48`, < 2^48).
 */
export class La64Tlb {
  /** Number of STLB sets. */
  readonly sets: number;
  /** Number of STLB ways. */
  readonly ways: number;
  /** Index of the first MTLB entry (= sets × ways). */
  readonly mtlbStart: number;
  /** Total entries. */
  readonly size: number;
  /** A hidden extra slot (index `size`) for entries that are computed but not written (debug walks). */
  readonly scratch: number;
  /** STLBPS.PS. */
  stlbps = 12;
  /** E: the entry exists. */
  readonly e: Uint8Array;
  /** VA[VALEN-1:PS+1] of the pair, as a number. */
  readonly vpn2: Float64Array;
  /** PS. */
  readonly ps: Uint8Array;
  /** G. */
  readonly g: Uint8Array;
  /** ASID. */
  readonly asid: Uint16Array;
  /** The halves' defined bits (low / high words, even / odd). */
  readonly lo0: Uint32Array;
  readonly hi0: Uint32Array;
  readonly lo1: Uint32Array;
  readonly hi1: Uint32Array;
  /** log2 of the `size` a translation through the entry reports: PS, or PS+1 for a huge page the MMU's walk split. */
  readonly sizeLog2: Uint8Array;
  // STLB tags in set-major order (set × ways + way): VPN2 of an existing entry, -1 for E = 0. A lookup reads one
  // cache line of them instead of a line per way in each of the arrays above (which are indexed way × sets + set).
  private readonly stlbTag: Float64Array;
  private readonly rr: Uint8Array;
  private mtlbRr = 0;
  // One past the highest MTLB slot written with E = 1 (all above have E = 0): a miss scans only up to it, not all of the MTLB.
  private mtlbEnd: number;
  private readonly hiMask: number;

  constructor(geometry: LA64TlbGeometry, palen: number) {
    const sets = geometry.stlbSets ?? 256;
    const ways = geometry.stlbWays ?? 8;
    const mtlb = geometry.mtlbEntries ?? 64;
    if (!Number.isInteger(sets) || sets < 1 || (sets & (sets - 1)) !== 0 || sets > 65536) {
      throw new RangeError(`loongarch64: stlbSets must be a power of two up to 65536, got ${sets}`);
    }
    if (!Number.isInteger(ways) || ways < 1 || ways > 64)
      throw new RangeError(`loongarch64: stlbWays must be 1..64, got ${ways}`);
    if (!Number.isInteger(mtlb) || mtlb < 1 || mtlb > 4096)
      throw new RangeError(`loongarch64: mtlbEntries must be 1..4096, got ${mtlb}`);
    this.sets = sets;
    this.ways = ways;
    this.mtlbStart = sets * ways;
    this.size = this.mtlbStart + mtlb;
    this.scratch = this.size;
    this.mtlbEnd = this.mtlbStart;
    const n = this.size + 1;
    this.e = new Uint8Array(n);
    this.vpn2 = new Float64Array(n);
    this.ps = new Uint8Array(n);
    this.g = new Uint8Array(n);
    this.asid = new Uint16Array(n);
    this.lo0 = new Uint32Array(n);
    this.hi0 = new Uint32Array(n);
    this.lo1 = new Uint32Array(n);
    this.hi1 = new Uint32Array(n);
    this.sizeLog2 = new Uint8Array(n);
    this.stlbTag = new Float64Array(this.mtlbStart).fill(-1);
    this.rr = new Uint8Array(sets);
    // Defined high-word bits of TLBELO: PPN[PALEN-1:32], NR (61), NX (62), RPLV (63).
    this.hiMask = ((2 ** (palen - 32) - 1) | 0xe000_0000) >>> 0;
  }

  /** Whether entry `i` matches the VA (`va48`) for `asid`. */
  matches(i: number, va48: number, asid: number): boolean {
    return (
      this.e[i] !== 0 &&
      (this.g[i] !== 0 || this.asid[i] === asid) &&
      Math.floor(va48 / POW2[this.ps[i] + 1]) === this.vpn2[i]
    );
  }

  /** The entry translating `va48` for `asid` (STLB first, then MTLB), or -1. Changes nothing. */
  find(va48: number, asid: number): number {
    const vpn2 = Math.floor(va48 / POW2[this.stlbps + 1]);
    const set = (vpn2 >>> 0) & (this.sets - 1); // sets is a power of two; vpn2 >>> 0 keeps its low 32 bits exactly
    const tags = this.stlbTag;
    for (let w = 0, k = set * this.ways; w < this.ways; w++, k++) {
      if (tags[k] !== vpn2) continue;
      const i = w * this.sets + set;
      if (this.ps[i] === this.stlbps && (this.g[i] !== 0 || this.asid[i] === asid)) return i;
    }
    let end = this.mtlbEnd;
    while (end > this.mtlbStart && this.e[end - 1] === 0) end--;
    this.mtlbEnd = end;
    for (let i = this.mtlbStart; i < end; i++) {
      if (this.matches(i, va48, asid)) return i;
    }
    return -1;
  }

  /**
   * TLBFILL: the slot an entry of page size `ps` for `va48` goes to (the
   * STLB set of the VA when `ps` = STLBPS, else the MTLB): an empty one if
   * any, else the next in round-robin order (the hardware picks at random).
   */
  victim(va48: number, ps: number): number {
    if (ps === this.stlbps) {
      const set = (Math.floor(va48 / POW2[ps + 1]) >>> 0) & (this.sets - 1);
      for (let w = 0, k = set * this.ways; w < this.ways; w++, k++)
        if (this.stlbTag[k] === -1) return w * this.sets + set;
      const w = this.rr[set];
      this.rr[set] = (w + 1) % this.ways;
      return w * this.sets + set;
    }
    for (let i = this.mtlbStart; i < this.size; i++) if (this.e[i] === 0) return i;
    const i = this.mtlbStart + this.mtlbRr;
    this.mtlbRr = (this.mtlbRr + 1) % (this.size - this.mtlbStart);
    return i;
  }

  /**
   * Writes entry `i` (E = 1 unless `ne`). Halves are raw TLBELO values;
   * undefined bits are dropped. `sizeLog2` is what translations through it
   * report as the leaf size (PS, or PS+1 for a huge page split in two).
   */
  write(
    i: number,
    va48: number,
    ps: number,
    asid: number,
    lo0: number,
    hi0: number,
    lo1: number,
    hi1: number,
    ne: boolean,
    sizeLog2 = ps,
  ): void {
    const g = lo0 & lo1 & 0x40;
    this.e[i] = ne ? 0 : 1;
    if (!ne && i >= this.mtlbEnd && i < this.size) this.mtlbEnd = i + 1;
    const vpn2 = Math.floor(va48 / POW2[ps + 1]);
    this.vpn2[i] = vpn2;
    if (i < this.mtlbStart) this.stlbTag[this.tagSlot(i)] = ne ? -1 : vpn2;
    this.ps[i] = ps;
    this.g[i] = g ? 1 : 0;
    this.asid[i] = asid & 0x3ff;
    this.lo0[i] = ((lo0 & 0xffff_f03f) | g) >>> 0;
    this.hi0[i] = (hi0 & this.hiMask) >>> 0;
    this.lo1[i] = ((lo1 & 0xffff_f03f) | g) >>> 0;
    this.hi1[i] = (hi1 & this.hiMask) >>> 0;
    this.sizeLog2[i] = sizeLog2;
  }

  /** Clears E of entry `i`. */
  invalidate(i: number): void {
    this.e[i] = 0;
    if (i < this.mtlbStart) this.stlbTag[this.tagSlot(i)] = -1;
  }

  /** Clears E of every STLB entry. */
  invalidateStlb(): void {
    this.e.fill(0, 0, this.mtlbStart);
    this.stlbTag.fill(-1);
  }

  /** Where STLB entry `i` (way × sets + set) keeps its tag. */
  private tagSlot(i: number): number {
    const set = i & (this.sets - 1);
    return set * this.ways + (i - set) / this.sets;
  }
}

/**
 * The PA field of a half aligned down to 2^ps, as a 4 KiB frame number (a
 * frame, not a PA: a value above 2^31 returned from a call is a heap number).
 */
export function ppnFrameOf(lo: number, hi: number, ps: number): number {
  // Masks on the halves, not `pa % 2^ps`: `%` on a double beyond int32 is a runtime call.
  if (ps >= 48) return 0;
  if (ps >= 32) return ((hi & 0xffff & ~(POW2[ps - 32] - 1)) >>> 0) * 1048576;
  return (hi & 0xffff) * 1048576 + ((lo & 0xffff_f000 & ~(POW2[ps] - 1)) >>> 12);
}

/** 2^i for i in 0..65. */
export function pow2(i: number): number {
  return POW2[i];
}
