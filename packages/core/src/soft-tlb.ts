/**
 * A software TLB for emulator MMUs: direct-mapped by virtual page, tagged
 * with an address-space id and a global bit, held in typed arrays so a hit
 * allocates nothing.
 *
 * @module
 */

/**
 * Caches 4 KiB-granular translations. An entry made from a huge leaf
 * remembers the leaf's level, so invalidating any VA inside the block drops
 * every cached page of it. The meaning of `perm` (permission bits,
 * dirty-state) belongs to the MMU that fills the TLB.
 */
export class SoftTlb {
  /** Translations served. */
  hits = 0;
  /** Lookups that found nothing. */
  misses = 0;
  private readonly mask: number;
  private readonly valid: Uint8Array;
  private readonly vaHi: Uint32Array;
  private readonly vpnLo: Uint32Array;
  private readonly asid: Uint32Array;
  private readonly global: Uint8Array;
  private readonly level: Uint8Array;
  private readonly frame: Float64Array;
  private readonly permBits: Uint32Array;
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
    this.valid = new Uint8Array(n);
    this.vaHi = new Uint32Array(n);
    this.vpnLo = new Uint32Array(n);
    this.asid = new Uint32Array(n);
    this.global = new Uint8Array(n);
    this.level = new Uint8Array(n);
    this.frame = new Float64Array(n);
    this.permBits = new Uint32Array(n);
  }

  /** The slot caching VA (hi, lo) for `asid` (or a global entry), or -1; counts hits and misses. */
  lookup(hi: number, lo: number, asid: number): number {
    const vpn = lo >>> 12;
    const s = (vpn ^ hi) & this.mask;
    if (
      this.valid[s] !== 0 &&
      this.vpnLo[s] === vpn &&
      this.vaHi[s] === hi >>> 0 &&
      (this.global[s] !== 0 || this.asid[s] === asid)
    ) {
      this.hits++;
      return s;
    }
    this.misses++;
    return -1;
  }

  /** Caches the page of VA (hi, lo): its 4 KiB frame, the leaf's level, and MMU-defined `perm` bits. Returns the slot (-1 for a 0-slot TLB, which caches nothing). */
  insert(hi: number, lo: number, asid: number, global: boolean, frame: number, level: number, perm: number): number {
    if (this.disabled) return -1;
    const vpn = lo >>> 12;
    const s = (vpn ^ hi) & this.mask;
    this.invalidate(s);
    if (level !== 0) this.wide++;
    this.valid[s] = 1;
    this.vaHi[s] = hi;
    this.vpnLo[s] = vpn;
    this.asid[s] = asid;
    this.global[s] = global ? 1 : 0;
    this.level[s] = level;
    this.frame[s] = frame;
    this.permBits[s] = perm;
    return s;
  }

  /** 4 KiB frame of a slot. */
  frameOf(slot: number): number {
    return this.frame[slot];
  }

  /** MMU-defined permission bits of a slot. */
  perm(slot: number): number {
    return this.permBits[slot];
  }

  /** Replaces the permission bits of a slot (e.g. once a write set the dirty bit). */
  setPerm(slot: number, perm: number): void {
    this.permBits[slot] = perm;
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
    this.valid.fill(0);
    this.wide = 0;
  }

  private invalidate(s: number): void {
    if (this.valid[s] !== 0 && this.level[s] !== 0) this.wide--;
    this.valid[s] = 0;
  }

  /** Drops every entry that is not global (with `asid`: only those of that ASID). */
  flushNonGlobal(asid?: number): void {
    for (let s = 0; s < this.entries; s++) {
      if (this.valid[s] && !this.global[s] && (asid === undefined || this.asid[s] === asid)) this.invalidate(s);
    }
  }

  /** Drops every entry of `asid`, global ones included only when asked. */
  flushAsid(asid: number, includeGlobal = false): void {
    for (let s = 0; s < this.entries; s++) {
      if (this.valid[s] && this.asid[s] === asid && (includeGlobal || !this.global[s])) this.invalidate(s);
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
      if (!this.valid[s]) continue;
      // Same leaf: the VA bits above the leaf's size agree (a 512 GiB or larger leaf spans several high words).
      const shift = 12 + 9 * this.level[s];
      const same =
        shift >= 32
          ? this.vaHi[s] >>> (shift - 32) === hi >>> (shift - 32)
          : this.vaHi[s] === hi >>> 0 && ((this.vpnLo[s] ^ (lo >>> 12)) & ((~0 << (shift - 12)) >>> 0)) === 0;
      if (!same) continue;
      if (this.global[s] ? includeGlobal : asid === undefined || this.asid[s] === asid) this.invalidate(s);
    }
  }
}
