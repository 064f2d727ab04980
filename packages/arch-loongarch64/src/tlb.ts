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

// One entry is STRIDE consecutive words of `La64Tlb.words` (two entries per 64-byte cache line), so a lookup
// and a fill touch one line per entry instead of one per field.
const STRIDE = 8;
const W_META = 0; // E (bit 0), G (1), PS (7:2), size log2 (13:8), ASID (25:16)
const W_VHI = 1; // the pair's VA bits [VALEN-1:32], bits below PS+1 cleared
const W_VLO = 2; // the pair's VA bits [31:12] (as bits 19:0), bits below PS+1 cleared
const W_LO0 = 3; // TLBELO0 bits 31:0 (defined bits only)
const W_HI0 = 4; // TLBELO0 bits 63:32
const W_LO1 = 5; // TLBELO1 bits 31:0
const W_HI1 = 6; // TLBELO1 bits 63:32
const META_E = 1;
const META_G = 2;

// VA masks of a pair of page size 2^ps, on the TLB's VA form (vhi = VA[47:32], vlo = VA[31:12]): bits below PS+1 cleared.
const VHI_MASK: Int32Array = Int32Array.from({ length: 64 }, (_, ps) =>
  ps + 1 <= 32 ? 0xffff : ps + 1 >= 48 ? 0 : ~((1 << (ps + 1 - 32)) - 1) & 0xffff,
);
const VLO_MASK: Int32Array = Int32Array.from({ length: 64 }, (_, ps) =>
  ps + 1 - 12 >= 20 ? 0 : ~((1 << (ps + 1 - 12)) - 1) & 0xfffff,
);

/**
 * The TLB array. Internal to `LA64Mmu`. A VA is given as `vhi`, its bits
 * [VALEN-1:32], and `vlo`, its bits [31:12] (the 4 KiB page within the low
 * word): both small integers, so passing them allocates nothing. Each entry
 * is one stride of one `Int32Array`; TLBFILL / TLBWR take the halves of the
 * pair from {@link elo} (the TLBELO0/1 registers), the rest as arguments.
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
  /** TLBELO0 (low, high word) and TLBELO1 (low, high) of the entry the next {@link write} stores. */
  readonly elo: Int32Array = new Int32Array(4);
  /** Permission word of the last {@link page}: V D PLV MAT (5:0), NR NX RPLV (8:6), size log2 (14:9). */
  pagePerm = 0;
  /** 4 KiB frame of the last {@link page}. */
  pageFrame = 0;
  // Entry i at words[i * STRIDE ...] (STLB: i = way × sets + set; then the MTLB; then the scratch slot).
  private readonly words: Int32Array;
  // STLB tags in set-major order (set × ways + way), so a lookup reads one cache line for the whole set:
  // a hash of the pair's VA with bit 0 set for an existing entry, 0 for E = 0; a tag match is confirmed on the entry.
  private readonly stlbTag: Int32Array;
  private readonly rr: Uint8Array;
  private readonly setBits: number;
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
    this.words = new Int32Array((this.size + 1) * STRIDE);
    this.stlbTag = new Int32Array(this.mtlbStart);
    this.rr = new Uint8Array(sets);
    this.setBits = Math.log2(sets);
    // Defined high-word bits of TLBELO: PPN[PALEN-1:32], NR (61), NX (62), RPLV (63).
    this.hiMask = (2 ** (palen - 32) - 1) | 0xe000_0000;
  }

  /** E: whether entry `i` exists. */
  exists(i: number): boolean {
    return (this.words[i * STRIDE + W_META] & META_E) !== 0;
  }

  /** G of entry `i`. */
  global(i: number): boolean {
    return (this.words[i * STRIDE + W_META] & META_G) !== 0;
  }

  /** PS of entry `i`. */
  ps(i: number): number {
    return (this.words[i * STRIDE + W_META] >>> 2) & 63;
  }

  /** ASID of entry `i`. */
  asid(i: number): number {
    return (this.words[i * STRIDE + W_META] >>> 16) & 0x3ff;
  }

  /** The pair's first VA of entry `i`, bits [VALEN-1:0] as a number. */
  base(i: number): number {
    return this.baseHi(i) * 4294967296 + this.baseLo(i);
  }

  /** Bits [VALEN-1:32] of the pair's first VA of entry `i`. */
  baseHi(i: number): number {
    return this.words[i * STRIDE + W_VHI];
  }

  /** Bits [31:0] of the pair's first VA of entry `i`, unsigned. */
  baseLo(i: number): number {
    return (this.words[i * STRIDE + W_VLO] << 12) >>> 0;
  }

  /** TLBELO0 (`odd` false) or TLBELO1 of entry `i`, as a bigint. */
  elo64(i: number, odd: boolean): bigint {
    const b = i * STRIDE + (odd ? W_LO1 : W_LO0);
    return (BigInt(this.words[b + 1] >>> 0) << 32n) | BigInt(this.words[b] >>> 0);
  }

  /** Whether entry `i` exists and holds the VA (`vhi`, `vlo`), whatever its ASID. */
  holds(i: number, vhi: number, vlo: number): boolean {
    const b = i * STRIDE;
    const meta = this.words[b];
    const ps = (meta >>> 2) & 63;
    return (
      (meta & META_E) !== 0 &&
      (vlo & VLO_MASK[ps]) === this.words[b + W_VLO] &&
      (vhi & VHI_MASK[ps]) === this.words[b + W_VHI]
    );
  }

  /** Whether entry `i` matches the VA (`vhi`, `vlo`) for `asid`. */
  matches(i: number, vhi: number, vlo: number, asid: number): boolean {
    const meta = this.words[i * STRIDE];
    return ((meta & META_G) !== 0 || ((meta >>> 16) & 0x3ff) === asid) && this.holds(i, vhi, vlo);
  }

  /** The entry translating the VA (`vhi`, `vlo`) for `asid` (STLB first, then MTLB), or -1. Changes nothing. */
  find(vhi: number, vlo: number, asid: number): number {
    const ps = this.stlbps;
    const hv = vhi & VHI_MASK[ps];
    const lv = vlo & VLO_MASK[ps];
    const set = this.setOf(hv, lv, ps);
    const key = tagOf(hv, lv);
    const tags = this.stlbTag;
    const words = this.words;
    for (let w = 0, k = set * this.ways; w < this.ways; w++, k++) {
      if (tags[k] !== key) continue;
      const i = w * this.sets + set;
      const b = i * STRIDE;
      const meta = words[b];
      if (
        words[b + W_VLO] === lv &&
        words[b + W_VHI] === hv &&
        ((meta >>> 2) & 63) === ps &&
        ((meta & META_G) !== 0 || ((meta >>> 16) & 0x3ff) === asid)
      )
        return i;
    }
    let end = this.mtlbEnd;
    while (end > this.mtlbStart && (words[(end - 1) * STRIDE] & META_E) === 0) end--;
    this.mtlbEnd = end;
    for (let i = this.mtlbStart; i < end; i++) {
      if (this.matches(i, vhi, vlo, asid)) return i;
    }
    return -1;
  }

  /**
   * TLBFILL: the slot an entry of page size `ps` for the VA (`vhi`, `vlo`)
   * goes to (the STLB set of the VA when `ps` = STLBPS, else the MTLB): an
   * empty one if any, else the next in round-robin order (the hardware picks
   * at random).
   */
  victim(vhi: number, vlo: number, ps: number): number {
    if (ps === this.stlbps) {
      const set = this.setOf(vhi, vlo, ps);
      for (let w = 0, k = set * this.ways; w < this.ways; w++, k++)
        if (this.stlbTag[k] === 0) return w * this.sets + set;
      const w = this.rr[set];
      this.rr[set] = w + 1 === this.ways ? 0 : w + 1;
      return w * this.sets + set;
    }
    for (let i = this.mtlbStart; i < this.size; i++) if (!this.exists(i)) return i;
    const i = this.mtlbStart + this.mtlbRr;
    this.mtlbRr = (this.mtlbRr + 1) % (this.size - this.mtlbStart);
    return i;
  }

  /**
   * Writes entry `i` (E = 1 unless `ne`) for the VA (`vhi`, `vlo`) with the
   * halves in {@link elo} (raw TLBELO values; undefined bits are dropped).
   * `sizeLog2` is what translations through it report as the leaf size (PS,
   * or PS+1 for a huge page split in two).
   */
  write(i: number, vhi: number, vlo: number, ps: number, asid: number, ne: boolean, sizeLog2: number): void {
    const elo = this.elo;
    const g = elo[0] & elo[2] & 0x40;
    if (!ne && i >= this.mtlbEnd && i < this.size) this.mtlbEnd = i + 1;
    const hv = vhi & VHI_MASK[ps];
    const lv = vlo & VLO_MASK[ps];
    if (i < this.mtlbStart) this.stlbTag[this.tagSlot(i)] = ne ? 0 : tagOf(hv, lv);
    const b = i * STRIDE;
    const words = this.words;
    words[b + W_META] = (ne ? 0 : META_E) | (g ? META_G : 0) | (ps << 2) | (sizeLog2 << 8) | ((asid & 0x3ff) << 16);
    words[b + W_VHI] = hv;
    words[b + W_VLO] = lv;
    words[b + W_LO0] = (elo[0] & 0xffff_f03f) | g;
    words[b + W_HI0] = elo[1] & this.hiMask;
    words[b + W_LO1] = (elo[2] & 0xffff_f03f) | g;
    words[b + W_HI1] = elo[3] & this.hiMask;
  }

  /**
   * The page entry `i` gives the VA whose bits 63:48 are `vtop`, 47:32
   * `vmid` and 31:12 `vlo`: the half VA[PS] selects, as {@link pagePerm} and
   * {@link pageFrame}.
   */
  page(i: number, vtop: number, vmid: number, vlo: number): void {
    const b = i * STRIDE;
    const words = this.words;
    const meta = words[b];
    const ps = (meta >>> 2) & 63;
    const odd = ps < 32 ? (vlo >>> (ps - 12)) & 1 : ps < 48 ? (vmid >>> (ps - 32)) & 1 : (vtop >>> (ps - 48)) & 1;
    const hl = words[b + (odd ? W_LO1 : W_LO0)];
    const hh = words[b + (odd ? W_HI1 : W_HI0)];
    this.pagePerm = (hl & 0x3f) | ((hh >>> 29) << 6) | (((meta >>> 8) & 63) << 9);
    // The VA's 4 KiB frame within the page, by masks: `%` on a double beyond int32 is a runtime call.
    const vh = ps < 48 ? vmid & ((1 << (ps - 32)) - 1) : (vtop & ((1 << (ps - 48)) - 1)) * 65536 + vmid;
    const vaFrame = ps < 32 ? vlo & ((1 << (ps - 12)) - 1) : vh * 1048576 + vlo;
    this.pageFrame = ppnFrameOf(hl, hh, ps) + vaFrame;
  }

  /** Clears E of entry `i`. */
  invalidate(i: number): void {
    this.words[i * STRIDE + W_META] &= ~META_E;
    if (i < this.mtlbStart) this.stlbTag[this.tagSlot(i)] = 0;
  }

  /** Clears E of every STLB entry. */
  invalidateStlb(): void {
    for (let i = 0; i < this.mtlbStart; i++) this.words[i * STRIDE + W_META] &= ~META_E;
    this.stlbTag.fill(0);
  }

  /** The STLB set of the VA (`vhi`, `vlo`) for page size 2^ps: the low bits of VA[VALEN-1:PS+1]. */
  private setOf(vhi: number, vlo: number, ps: number): number {
    const hv = vhi & VHI_MASK[ps];
    const s = ps < 32 ? ((vlo & VLO_MASK[ps]) >>> (ps - 11)) | (hv << (31 - ps)) : ps < 47 ? hv >>> (ps - 31) : 0;
    return s & (this.sets - 1);
  }

  /** Where STLB entry `i` (way × sets + set) keeps its tag. */
  private tagSlot(i: number): number {
    const set = i & (this.sets - 1);
    return set * this.ways + (i >>> this.setBits);
  }
}

/** The STLB tag of a pair at (hv, lv) (already masked): never 0, which marks E = 0. */
function tagOf(hv: number, lv: number): number {
  return ((lv << 1) ^ (hv << 21)) | 1;
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
