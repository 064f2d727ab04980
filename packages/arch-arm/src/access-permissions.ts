/**
 * The VMSAv7 access permissions (Arm ARM B3.7.1, "Access permissions"): what
 * AP[2:0] (short descriptors, SCTLR.AFE = 0), AP[2:1] (the simplified model:
 * short descriptors with SCTLR.AFE = 1, and every long descriptor) grant at
 * PL1 and PL0, and the memory types of TEX[2:0]/C/B (B3.8.2, TEX remap off)
 * the codecs write. Shared by the codecs and the MMU.
 *
 * @module
 */

import { MappingFlags } from '@page-table/core';

/** Rights bit: PL1 may read. */
export const PL1_R = 1;
/** Rights bit: PL1 may write. */
export const PL1_W = 2;
/** Rights bit: PL0 may read. */
export const PL0_R = 4;
/** Rights bit: PL0 may write. */
export const PL0_W = 8;

/**
 * Data rights of AP[2:0] with SCTLR.AFE = 0 (Arm ARM B3.7.1, the table
 * of VMSAv7 MMU access permissions), as {@link PL1_R}… bits: 000 no access,
 * 001 PL1 RW, 010 PL1 RW / PL0 RO, 011 full access, 100 reserved (no access,
 * as QEMU's ptw.c treats it), 101 PL1 RO, 110 and 111 RO at both levels.
 */
export const AP_RIGHTS: readonly number[] = [
  0,
  PL1_R | PL1_W,
  PL1_R | PL1_W | PL0_R,
  PL1_R | PL1_W | PL0_R | PL0_W,
  0,
  PL1_R,
  PL1_R | PL0_R,
  PL1_R | PL0_R,
];

/**
 * Data rights of AP[2:1] in the simplified access permissions model (Arm ARM
 * B3.7.1, the simplified access permissions model): 00 PL1 RW, 01 RW at both levels, 10 PL1 RO, 11 RO at
 * both levels. AP[2] disables writes, AP[1] enables PL0 access.
 */
export const AP_SIMPLE_RIGHTS: readonly number[] = [PL1_R | PL1_W, PL1_R | PL1_W | PL0_R | PL0_W, PL1_R, PL1_R | PL0_R];

/**
 * AP[2:0] a codec writes for `flags`: AP[0] = 1 always (so the entry means
 * the same under both models, and its access flag is set when SCTLR.AFE = 1),
 * AP[1] = USER, AP[2] = not WRITE.
 */
export function apForFlags(flags: MappingFlags): number {
  return 1 | (flags & MappingFlags.USER ? 2 : 0) | (flags & MappingFlags.WRITE ? 0 : 4);
}

/**
 * The flags AP[2:0] reads as (AFE = 0 model, which for AP[0] = 1 is also the
 * simplified one): READ / WRITE what PL1 may do, USER when PL0 may access.
 */
export function apFlags(ap: number): MappingFlags {
  const r = AP_RIGHTS[ap & 7];
  return (
    (r & PL1_R ? MappingFlags.READ : 0) | (r & PL1_W ? MappingFlags.WRITE : 0) | (r & PL0_R ? MappingFlags.USER : 0)
  );
}

/**
 * TEX[2:0]:C:B (5 bits, TEX in bits 4..2) a codec writes for a memory type
 * (Arm ARM B3.8.2, table "TEX, C, and B encodings when TRE == 0"):
 * DEVICE 000:0:1 Shareable Device, UNCACHED 001:0:0 Normal Non-cacheable,
 * otherwise 001:1:1 Normal Write-Back Write-Allocate.
 */
export function texcbForFlags(flags: MappingFlags): number {
  if (flags & MappingFlags.DEVICE) return 0b000_01;
  if (flags & MappingFlags.UNCACHED) return 0b001_00;
  return 0b001_11;
}

/**
 * DEVICE or UNCACHED for a TEX[2:0]:C:B value with TEX remap off (Table
 * B3-10): Strongly-ordered (000:0:0) and Device (000:0:1, 010:0:0) read as
 * DEVICE; Normal memory that is Non-cacheable inside and outside (001:0:0,
 * or 1xx with both cache policies 00) as UNCACHED; anything else as 0.
 */
export function texcbFlags(texcb: number): MappingFlags {
  const v = texcb & 31;
  if (v === 0b000_00 || v === 0b000_01 || v === 0b010_00) return MappingFlags.DEVICE;
  if (v === 0b001_00 || v === 0b100_00) return MappingFlags.UNCACHED;
  return 0;
}
