/**
 * Values of the AArch64 system registers that must agree with the tables:
 * MAIR_ELx (what each AttrIndx means) and TTBRn_ELx (where the root lives).
 *
 * @module
 */

import { type AddrLike, fromBigUnchecked, toBigInt } from '@page-table/memory-addr';

/**
 * The memory types the codec writes by default, as the AttrIndx (MAIR slot)
 * each one selects. The numbering follows page_table_entry's `MemAttr`, so a
 * kernel that already programs {@link MAIR_VALUE} needs no change.
 */
export const MemAttr = {
  /** Slot 0: Device-nGnRE, for MMIO (chosen by `MappingFlags.DEVICE`). */
  Device: 0,
  /** Slot 1: Normal memory, Write-Back cacheable inner and outer (the default). */
  Normal: 1,
  /** Slot 2: Normal memory, non-cacheable (chosen by `MappingFlags.UNCACHED`). */
  NormalNonCacheable: 2,
} as const;

/** One of the {@link MemAttr} slot numbers. */
export type MemAttr = (typeof MemAttr)[keyof typeof MemAttr];

/**
 * Attribute bytes of MAIR_ELx (the `Attr<n>` fields, Arm ARM "MAIR_EL1"),
 * for building a MAIR value with {@link mairValue}.
 */
export const MairAttr = {
  /** Device-nGnRnE: no gathering, no reordering, no early write acknowledgement. */
  DEVICE_nGnRnE: 0x00,
  /** Device-nGnRE: early write acknowledgement allowed (the usual MMIO type). */
  DEVICE_nGnRE: 0x04,
  /** Device-nGRE: reordering and early acknowledgement allowed. */
  DEVICE_nGRE: 0x08,
  /** Device-GRE: gathering, reordering and early acknowledgement allowed. */
  DEVICE_GRE: 0x0c,
  /** Normal memory, inner and outer non-cacheable. */
  NORMAL_NC: 0x44,
  /** Normal memory, inner and outer Write-Through non-transient, read/write-allocate. */
  NORMAL_WT: 0xbb,
  /** Normal memory, inner and outer Write-Back non-transient, read/write-allocate. */
  NORMAL_WB: 0xff,
} as const;

/**
 * The MAIR_ELx value that matches the default {@link MemAttr} slots:
 * Attr0 = Device-nGnRE (0x04), Attr1 = Normal Write-Back (0xff),
 * Attr2 = Normal non-cacheable (0x44). The OS must program MAIR_EL1 (or
 * MAIR_EL2) with it before turning the MMU on, or the memory types written by
 * the default codec mean something else.
 */
export const MAIR_VALUE = 0x0044_ff04;

/**
 * Which AttrIndx (MAIR slot, 0..7) the codec writes for each memory type, and
 * reads back as `DEVICE` / `UNCACHED`. Use it when the OS's MAIR layout differs
 * from {@link MAIR_VALUE}. The three slots must be distinct so that a
 * descriptor decodes to exactly one memory type.
 */
export interface A64AttrIndex {
  /** Slot for `MappingFlags.DEVICE`. */
  readonly device: number;
  /** Slot for ordinary cacheable memory (neither DEVICE nor UNCACHED). */
  readonly normal: number;
  /** Slot for `MappingFlags.UNCACHED`. */
  readonly nonCacheable: number;
}

/** The slots of {@link MemAttr}, matching {@link MAIR_VALUE}. */
export const DEFAULT_ATTR_INDEX: A64AttrIndex = Object.freeze({
  device: MemAttr.Device,
  normal: MemAttr.Normal,
  nonCacheable: MemAttr.NormalNonCacheable,
});

/**
 * Builds a MAIR_ELx value from attribute bytes: `attrs[n]` goes to `Attr<n>`
 * (bits `8n+7 .. 8n`); missing slots are 0 (Device-nGnRnE). The result is a
 * number when it is a safe integer, else a bigint (slots 7 and up can push it
 * past 2^53), as addresses are represented.
 *
 * @throws RangeError for more than 8 bytes or a byte outside 0..255.
 */
export function mairValue(attrs: readonly number[]): number | bigint {
  if (attrs.length > 8) throw new RangeError(`MAIR has 8 attribute slots, got ${attrs.length}`);
  let v = 0n;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i];
    if (!Number.isInteger(a) || a < 0 || a > 0xff) {
      throw new RangeError(`MAIR Attr${i}: ${a} is not a byte`);
    }
    v |= BigInt(a) << BigInt(8 * i);
  }
  return fromBigUnchecked(v);
}

/**
 * The TTBRn_ELx value for a root table: BADDR = the root's physical address
 * (4 KiB aligned, below 2^48), ASID in bits 63..48 (only TTBR0_EL1/TTBR1_EL1
 * use it, and only the one selected by TCR_EL1.A1; 8 bits unless TCR_EL1.AS),
 * CnP (bit 0) left clear. A number when safe, else a bigint.
 *
 * @throws RangeError for an unaligned or too wide root, or an ASID outside 0..0xffff.
 */
export function ttbrValue(root: AddrLike, asid = 0): number | bigint {
  const r = toBigInt(root);
  if (r < 0n || r >= 1n << 48n || (r & 0xfffn) !== 0n) {
    throw new RangeError(`TTBR: root 0x${r.toString(16)} is not a 4 KiB aligned address below 2^48`);
  }
  if (!Number.isInteger(asid) || asid < 0 || asid > 0xffff) {
    throw new RangeError(`TTBR: ASID ${asid} is outside 0..0xffff`);
  }
  return fromBigUnchecked((BigInt(asid) << 48n) | r);
}

/**
 * Which translation table base register translates `va` in a two-range
 * regime (EL1&0, or EL2&0 with HCR_EL2.E2H = 1): 0 for TTBR0 (lower range,
 * top bits all 0), 1 for TTBR1 (upper range, `0xffff_…`). The hardware looks at
 * VA bit 55.
 */
export function ttbrIndex(va: AddrLike): 0 | 1 {
  return (toBigInt(va) >> 55n) & 1n ? 1 : 0;
}
