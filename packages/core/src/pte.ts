/**
 * The per-architecture entry codec.
 *
 * An entry is a little-endian 64-bit word in a table frame, read as two
 * unsigned 32-bit halves (`lo` = bits 0..31, `hi` = bits 32..63). The walker
 * only ever calls the half-word methods, so nothing on its paths touches a
 * bigint; the bigint methods are for users, tests and tools.
 *
 * An address field is handled as a frame number (PA / 4096), which is exact in
 * a double for every PA up to 2^65.
 *
 * @module
 */

import { type AddrLike, fromBigUnchecked, type PhysAddr, toBigInt } from '@page-table/memory-addr';
import type { MappingFlags } from './flags.js';

const FRAME_SHIFT = 12n;

/**
 * Encodes and decodes one architecture's page-table entries.
 *
 * Invariants every codec keeps: an all-zero entry is unused (neither present
 * nor a table link); {@link encodePage} writes a present leaf for every flag
 * set that {@link checkFlags} accepts; the address field round-trips for
 * every frame below 2^(paBits - 12).
 */
export abstract class GenericPTE {
  /** Low half produced by the last `encode*` / `setFrame` call. */
  lo = 0;
  /** High half produced by the last `encode*` / `setFrame` call. */
  hi = 0;

  /**
   * Bits of a leaf's low half that the MMU sets by itself (x86 Accessed and
   * Dirty) and that the walker keeps when it rewrites the leaf's flags or
   * address (`protect`, `protectRegion`, `remap`), as an OS does. 0 for
   * codecs that set such bits on every leaf they encode or have none.
   */
  readonly keepLo: number = 0;
  /** The same as {@link keepLo} for the high half. */
  readonly keepHi: number = 0;

  /** Architecture name for messages. */
  abstract readonly arch: string;

  /** Whether the entry is a present (valid) mapping or table link. */
  abstract present(lo: number, hi: number): boolean;
  /**
   * At the last level: whether the entry maps a 4 KiB page. The same as
   * {@link present} unless the arch reserves some present encodings there
   * (AArch64: a level-3 `0b01` descriptor is invalid).
   */
  page(lo: number, hi: number): boolean {
    return this.present(lo, hi);
  }
  /** At a non-last level: whether the entry points to a next-level table. */
  abstract table(lo: number, hi: number): boolean;
  /** At a non-last level: whether the entry is marked as a block (huge) leaf. */
  abstract huge(lo: number, hi: number): boolean;
  /** The address field as a frame number (PA / 4096). */
  abstract frame(lo: number, hi: number): number;
  /** The entry's permissions and memory type (0 when not present). */
  abstract decodeFlags(lo: number, hi: number): MappingFlags;
  /** Encodes a leaf: a page (`huge` false) or a block (`huge` true) at `frame` with `flags`. */
  abstract encodePage(frame: number, flags: MappingFlags, huge: boolean): void;
  /** Encodes a link to the next-level table at `frame`. */
  abstract encodeTable(frame: number): void;
  /** Replaces only the address field of an entry. */
  abstract setFrame(lo: number, hi: number, frame: number): void;
  /** Why `flags` cannot be encoded as a leaf on this architecture, or `undefined` if it can. */
  abstract checkFlags(flags: MappingFlags): string | undefined;

  /**
   * What a table link (a non-leaf entry, as halves) takes away from every
   * entry below it, as an arch-defined bit set: 0 when it restricts nothing.
   * The restrictions of every table link walked combine by OR, and
   * {@link effectiveFlags} applies them to the leaf. The default (no
   * override) is for architectures whose non-leaf entries carry no
   * permissions (RISC-V, LoongArch); x86_64 (R/W, U/S, XD) and AArch64
   * (APTable, UXNTable, PXNTable) override it. Allocation-free.
   */
  tableRestrictions(_lo: number, _hi: number): number {
    return 0;
  }

  /**
   * The permissions the CPU enforces for the leaf (`lo`, `hi`) under tables
   * whose {@link tableRestrictions} OR to `restrictions`; with 0 it equals
   * {@link decodeFlags}. The default reads `restrictions` as
   * {@link MappingFlags} bits to remove (the form x86_64 uses); an arch whose
   * table bits change how the leaf is read (AArch64) overrides it. Allocation-free.
   */
  effectiveFlags(lo: number, hi: number, restrictions: number): MappingFlags {
    return this.decodeFlags(lo, hi) & ~restrictions;
  }

  /** The flags a leaf encoded with `flags` reads back as (the arch's normal form). */
  normalizeFlags(flags: MappingFlags): MappingFlags {
    this.encodePage(0, flags, false);
    return this.decodeFlags(this.lo, this.hi);
  }

  /** A leaf entry as a 64-bit value (the walker aligns `pa` down to the page size first). */
  newPage(pa: AddrLike, flags: MappingFlags, huge: boolean): bigint {
    this.encodePage(frameOf(pa), flags, huge);
    return this.bits();
  }

  /** A table link as a 64-bit value. */
  newTable(pa: AddrLike): bigint {
    this.encodeTable(frameOf(pa));
    return this.bits();
  }

  /** The physical address an entry holds. */
  paddr(entry: bigint): PhysAddr {
    return fromBigUnchecked(BigInt(this.frame(lo(entry), hi(entry))) << FRAME_SHIFT) as PhysAddr;
  }

  /** The flags an entry holds. */
  flags(entry: bigint): MappingFlags {
    return this.decodeFlags(lo(entry), hi(entry));
  }

  /** Whether the entry is present. */
  isPresent(entry: bigint): boolean {
    return this.present(lo(entry), hi(entry));
  }

  /** Whether the entry is marked huge (meaningful above the last level only). */
  isHuge(entry: bigint): boolean {
    return this.huge(lo(entry), hi(entry));
  }

  /** Whether the entry is all zero. */
  isUnused(entry: bigint): boolean {
    return entry === 0n;
  }

  /** The entry with its flags replaced (every non-address bit is rewritten, as upstream's `set_flags`). */
  setFlags(entry: bigint, flags: MappingFlags, huge: boolean): bigint {
    this.encodePage(this.frame(lo(entry), hi(entry)), flags, huge);
    return this.bits();
  }

  /** The entry with its address replaced. */
  setPaddr(entry: bigint, pa: AddrLike): bigint {
    this.setFrame(lo(entry), hi(entry), frameOf(pa));
    return this.bits();
  }

  /** The unused (all-zero) entry. */
  clear(): bigint {
    return 0n;
  }

  private bits(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }
}

function lo(entry: bigint): number {
  return Number(entry & 0xffff_ffffn);
}

function hi(entry: bigint): number {
  return Number((entry >> 32n) & 0xffff_ffffn);
}

/** Frame number of a physical address (the in-page offset is dropped). */
export function frameOf(pa: AddrLike): number {
  return typeof pa === 'number' ? Math.floor(pa / 4096) : Number(toBigInt(pa) >> FRAME_SHIFT);
}
