/**
 * A software TLB for emulator MMUs: direct-mapped by virtual page, tagged
 * with an address-space id and a global bit, held in typed arrays so a hit
 * allocates nothing.
 *
 * @module
 */

// The page-number word of an empty slot (no 20-bit page number equals it) and the ASID word's global mark.
const INVALID = -1;
const GLOBAL = -0x8000_0000;

/**
 * Caches 4 KiB-granular translations. An entry made from a larger leaf
 * remembers the leaf's size, so invalidating any VA inside the block drops
 * every cached page of it. The meaning of `perm` (permission bits,
 * dirty-state) belongs to the MMU that fills the TLB.
 */
export class SoftTlb {
  /** Translations served. */
  hits = 0;
  /** Lookups that found nothing. */
  misses = 0;
  private readonly mask: number;
  // Four words a slot, read together on a lookup: the VA's page number in its low word (INVALID when empty; a
  // page number has 20 bits), the VA's high word, the ASID (GLOBAL added for a global entry) and the perm bits.
  private readonly tags: Int32Array;
  private readonly level: Uint8Array;
  // log2 of each entry's leaf size in bytes (12 + 9 * level unless the MMU gave another, e.g. a 64 KiB page).
  private readonly bits: Uint8Array;
  private readonly frame: Float64Array;
  // Valid entries cached from leaves larger than 4 KiB: while there are none, flushVa checks one slot.
  private wide = 0;

  // 0 slots asked for: one slot that is never filled, so lookups need no extra test.
  private readonly disabled: boolean;

  /** A TLB of `entries` slots, all invalid; throws `RangeError` unless `entries` is 0 (a TLB that caches nothing) or a power of two. */
  constructor(
    /** Number of slots, a power of two (default 256), or 0 for none. The TLB is direct-mapped: each 4 KiB page has one slot, shared with the pages that hash to it. */
    readonly entries = 256,
  ) {
    if (!Number.isInteger(entries) || entries < 0 || (entries & (entries - 1)) !== 0) {
      throw new RangeError(`TLB size ${String(entries)} is not 0 or a power of two`);
    }
    this.disabled = entries === 0;
    const n = Math.max(entries, 1);
    this.mask = n - 1;
    this.tags = new Int32Array(4 * n).fill(INVALID);
    this.level = new Uint8Array(n);
    this.bits = new Uint8Array(n);
    this.frame = new Float64Array(n);
  }

  /** The slot caching VA (hi, lo) for `asid` (0..2^31-1), or a global entry, or -1; counts hits and misses. */
  lookup(hi: number, lo: number, asid: number): number {
    const vpn = lo >>> 12;
    const s = (vpn ^ hi) & this.mask;
    const t = this.tags;
    const b = s << 2;
    if (t[b] === vpn && t[b + 1] === (hi | 0)) {
      const k = t[b + 2];
      if (k === asid || k < 0) {
        this.hits++;
        return s;
      }
    }
    this.misses++;
    return -1;
  }

  /**
   * Caches the page of VA (hi, lo): its 4 KiB frame, the leaf's level, and
   * MMU-defined `perm` bits. `sizeBits` is log2 of the leaf's size in bytes,
   * which TLBI-by-VA drops whole: 12 + 9 × level unless given (a granule
   * other than 4 KiB has other sizes, e.g. 16 for a 64 KiB page). Returns
   * the slot (-1 for a 0-slot TLB, which caches nothing).
   */
  insert(
    hi: number,
    lo: number,
    asid: number,
    global: boolean,
    frame: number,
    level: number,
    perm: number,
    sizeBits: number = 12 + 9 * level,
  ): number {
    if (this.disabled) return -1;
    const vpn = lo >>> 12;
    const s = (vpn ^ hi) & this.mask;
    this.invalidate(s);
    if (sizeBits !== 12) this.wide++;
    const t = this.tags;
    const b = s << 2;
    t[b] = vpn;
    t[b + 1] = hi;
    t[b + 2] = global ? asid | GLOBAL : asid;
    t[b + 3] = perm;
    this.level[s] = level;
    this.bits[s] = sizeBits;
    this.frame[s] = frame;
    return s;
  }

  /** 4 KiB frame of a slot. */
  frameOf(slot: number): number {
    return this.frame[slot];
  }

  /** MMU-defined permission bits of a slot. */
  perm(slot: number): number {
    return this.tags[(slot << 2) + 3] >>> 0;
  }

  /** Replaces the permission bits of a slot (e.g. once a write set the dirty bit). */
  setPerm(slot: number, perm: number): void {
    this.tags[(slot << 2) + 3] = perm;
  }

  /** log2 of the leaf size in bytes of a slot (12 for a 4 KiB page). */
  sizeBitsOf(slot: number): number {
    return this.bits[slot];
  }

  /** Leaf level of a slot (0 = 4 KiB page). */
  levelOf(slot: number): number {
    return this.level[slot];
  }

  /** Drops one slot. */
  drop(slot: number): void {
    this.invalidate(slot);
  }

  /** Drops everything. */
  flushAll(): void {
    const t = this.tags;
    for (let b = 0; b < t.length; b += 4) t[b] = INVALID;
    this.wide = 0;
  }

  private valid(s: number): boolean {
    return this.tags[s << 2] !== INVALID;
  }

  private global(s: number): boolean {
    return this.tags[(s << 2) + 2] < 0;
  }

  private asid(s: number): number {
    return this.tags[(s << 2) + 2] & ~GLOBAL;
  }

  private invalidate(s: number): void {
    if (this.valid(s) && this.bits[s] !== 12) this.wide--;
    this.tags[s << 2] = INVALID;
  }

  /** Drops every entry that is not global (with `asid`: only those of that ASID). */
  flushNonGlobal(asid?: number): void {
    for (let s = 0; s < this.entries; s++) {
      if (this.valid(s) && !this.global(s) && (asid === undefined || this.asid(s) === asid)) this.invalidate(s);
    }
  }

  /** Drops every entry of `asid`, global ones included only when asked. */
  flushAsid(asid: number, includeGlobal = false): void {
    for (let s = 0; s < this.entries; s++) {
      if (this.valid(s) && this.asid(s) === asid && (includeGlobal || !this.global(s))) this.invalidate(s);
    }
  }

  /**
   * Drops every cached page of the leaf containing VA (hi, lo) — the whole
   * block for a huge leaf. With `asid`, only entries of that ASID, plus
   * global ones when `includeGlobal`.
   */
  flushVa(hi: number, lo: number, asid?: number, includeGlobal = true): void {
    // Only 4 KiB entries cached: the page can sit in one slot only.
    const one = this.wide === 0 ? ((lo >>> 12) ^ hi) & this.mask : -1;
    for (let s = one < 0 ? 0 : one; s < (one < 0 ? this.entries : one + 1); s++) {
      if (!this.valid(s)) continue;
      // Same leaf: the VA bits above the leaf's size agree (a 512 GiB or larger leaf spans several high words).
      const shift = this.bits[s];
      const vaHi = this.tags[(s << 2) + 1] >>> 0;
      const same =
        shift >= 32
          ? vaHi >>> (shift - 32) === hi >>> (shift - 32)
          : vaHi === hi >>> 0 && ((this.tags[s << 2] ^ (lo >>> 12)) & ((~0 << (shift - 12)) >>> 0)) === 0;
      if (!same) continue;
      if (this.global(s) ? includeGlobal : asid === undefined || this.asid(s) === asid) this.invalidate(s);
    }
  }
}
