/**
 * The VMSAv7 translation table walks: short descriptors (Arm ARM B3.5:
 * first-level lookup, sections, supersections, second-level small and large
 * pages) and long descriptors (B3.6: levels 1..3 from the start level T0SZ or
 * T1SZ selects, hierarchical APTable/XNTable/PXNTable). Faults are checked in
 * the order of the manual's fault-checking sequence: translation (each level
 * as it is read), domain (short format, from the first-level descriptor, once
 * the leaf is read), access flag, permission. ARMv7 never updates a
 * descriptor (no hardware access flag management), so a walk only reads.
 * Allocation-free unless a debug walk records its steps.
 *
 * @module
 */

import type { Access, PhysMemory, WalkStep } from '@page-table/core';
import type { PhysAddr } from '@page-table/memory-addr';
import { ArmFaultCode } from './fault.js';
import { type ArmV7Config, lpaeTableBase, selectTtbr } from './mmu-config.js';
import {
  clientRights,
  denialText,
  lpaeMemType,
  NO_DOMAIN,
  PERM_DOMAIN_SHIFT,
  PERM_SIZE_SHIFT,
  shortMemType,
} from './mmu-rights.js';

const TWO32 = 4294967296;
/** A walk's outcome: success. */
export const WALK_OK = 0;
/** A walk's outcome: a fault, described by the state. */
export const WALK_FAULT = -1;

/** Where a walk ended: the access's frame and the leaf's perm word, or the fault. Reused from walk to walk. */
export class ArmWalkState {
  /** A state for walks over `mem`. */
  constructor(
    /** The physical memory walked. */
    readonly mem: PhysMemory,
  ) {}

  /** The fault's {@link ArmFaultCode}. */
  code = 0;
  /** The lookup level of the fault or of the leaf (1, 2 short; 1..3 long). */
  level = 0;
  /** The domain read (short format; 0 before the first-level descriptor). */
  domain = 0;
  /** Why the walk faulted, for people. */
  why = '';
  /** The leaf's perm word (see mmu-rights). */
  perm = 0;
  /** The 4 KiB frame (PA / 4096) of the access. */
  frame = 0;
  /** Whether the leaf is global (nG = 0). */
  global = false;
  /** PA of the last entry read. */
  entryPa = 0;
  /** Which TTBR the walk started from (-1: none). */
  ttbr = -1;
  /** Whether a leaf was reached (then {@link perm} and {@link level} describe it). */
  leaf = false;
  /** A debug walk: build {@link why} texts that need formatting (the hot path keeps them empty, allocating nothing). */
  explain = false;

  /** Records a fault; returns {@link WALK_FAULT}. */
  stop(code: number, level: number, why: string): number {
    this.code = code;
    this.level = level;
    this.why = why;
    return WALK_FAULT;
  }

  /** Index in `mem.words` of the 32-bit word at `pa` (4-byte aligned), or -1 outside memory. */
  word(pa: number): number {
    const frame = Math.floor(pa / 4096);
    const base = this.mem.frameWord(frame);
    return base < 0 ? -1 : base + ((pa - frame * 4096) >>> 2);
  }
}

/** The entry as a bigint, for reports. */
export function entryValue(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The domain, access flag and permission checks of a leaf whose perm word is in `s`. */
function check(s: ArmWalkState, cfg: ArmV7Config, access: Access, afClear: boolean): number {
  const perm = s.perm;
  const d = (perm >>> PERM_DOMAIN_SHIFT) & 31;
  const dom = d === NO_DOMAIN ? 1 : (cfg.dacr >>> (d * 2)) & 3;
  if (dom === 0 || dom === 2) {
    const why = s.explain ? `domain ${d} is ${dom === 0 ? 'No access' : 'reserved'} in DACR` : '';
    return s.stop(ArmFaultCode.Domain, s.level, why);
  }
  if (dom === 3) return 0;
  if (afClear) return s.stop(ArmFaultCode.AccessFlag, s.level, 'access flag is 0');
  if (((perm >>> ((1 - cfg.pl) * 3 + access)) & 1) === 0) {
    return s.stop(ArmFaultCode.Permission, s.level, s.explain ? denialText(perm, cfg.pl, access) : '');
  }
  return 0;
}

/**
 * The short-descriptor walk of VA `lo` under `cfg` for `access`:
 * {@link WALK_OK} with the frame in `s.frame`, or {@link WALK_FAULT}. Every
 * entry read is pushed to `trace` when given.
 */
export function walkShort(
  s: ArmWalkState,
  cfg: ArmV7Config,
  lo: number,
  access: Access,
  trace: WalkStep[] | undefined,
): number {
  const words = s.mem.words;
  s.leaf = false;
  s.domain = 0;
  s.explain = trace !== undefined;
  const ttbr = selectTtbr(cfg, lo);
  s.ttbr = ttbr;
  // VA[31:20] indexes a TTBR1 table, VA[31-N:20] a TTBR0 one (B3.5.4).
  let idx: number;
  let l1: number;
  if (ttbr === 1) {
    if (cfg.pd1) return s.stop(ArmFaultCode.Translation, 1, 'TTBCR.PD1 = 1: no walk for the TTBR1 range');
    idx = lo >>> 20;
    l1 = cfg.ttbr1Base + idx * 4;
  } else {
    if (cfg.pd0) return s.stop(ArmFaultCode.Translation, 1, 'TTBCR.PD0 = 1: no walk for the TTBR0 range');
    idx = (lo << cfg.n) >>> (20 + cfg.n);
    l1 = cfg.ttbr0Base + idx * 4;
  }
  s.entryPa = l1;
  let w = s.word(l1);
  if (w < 0) return s.stop(ArmFaultCode.ExternalAbort, 1, 'first-level descriptor outside physical memory');
  const desc = words[w];
  if (trace !== undefined) trace.push(step(1, idx, l1, desc));
  const type = desc & 3;
  if (type === 0) return s.stop(ArmFaultCode.Translation, 1, 'first-level descriptor is a fault entry');
  if (type === 3 && !cfg.pxnImpl) {
    return s.stop(ArmFaultCode.Translation, 1, 'first-level type 0b11 is reserved without PXN');
  }
  let ap: number;
  let xn: boolean;
  let pxn: boolean;
  let tex: number;
  let cb: number;
  let ng: number;
  let sizeCode: number;
  let level: number;
  if (type === 1) {
    // A page table: domain and PXN from the first level, the leaf from the second (B3.5.1).
    s.domain = (desc >>> 5) & 15;
    pxn = cfg.pxnImpl && (desc & 4) !== 0;
    const l2 = ((desc & 0xffff_fc00) >>> 0) + ((lo >>> 12) & 0xff) * 4;
    s.entryPa = l2;
    w = s.word(l2);
    if (w < 0) return s.stop(ArmFaultCode.ExternalAbort, 2, 'second-level descriptor outside physical memory');
    const d2 = words[w];
    if (trace !== undefined) trace.push(step(0, (lo >>> 12) & 0xff, l2, d2));
    level = 2;
    if ((d2 & 3) === 0) return s.stop(ArmFaultCode.Translation, 2, 'second-level descriptor is a fault entry');
    if ((d2 & 3) === 1) {
      // Large page: PA[31:16], TEX [14:12], XN bit 15.
      s.frame = (d2 >>> 16) * 16 + ((lo >>> 12) & 15);
      tex = (d2 >>> 12) & 7;
      xn = (d2 & 0x8000) !== 0;
      sizeCode = 1;
    } else {
      // Small page: PA[31:12], TEX [8:6], XN bit 0.
      s.frame = d2 >>> 12;
      tex = (d2 >>> 6) & 7;
      xn = (d2 & 1) !== 0;
      sizeCode = 0;
    }
    ap = ((d2 >>> 4) & 3) | ((d2 >>> 7) & 4);
    cb = (d2 >>> 2) & 3;
    ng = d2 & 0x800;
  } else {
    const superSection = (desc & 0x4_0000) !== 0;
    level = 1;
    pxn = cfg.pxnImpl && (desc & 1) !== 0;
    xn = (desc & 0x10) !== 0;
    tex = (desc >>> 12) & 7;
    cb = (desc >>> 2) & 3;
    ap = ((desc >>> 10) & 3) | ((desc >>> 13) & 4);
    ng = desc & 0x2_0000;
    if (superSection) {
      // Supersection: PA[31:24] bits [31:24], PA[35:32] bits [23:20], PA[39:36] bits [8:5]; domain 0.
      s.frame =
        (desc >>> 24) * 4096 +
        ((desc >>> 20) & 15) * 0x10_0000 +
        ((desc >>> 5) & 15) * 0x100_0000 +
        ((lo >>> 12) & 0xfff);
      sizeCode = 3;
    } else {
      s.domain = (desc >>> 5) & 15;
      s.frame = (desc >>> 20) * 256 + ((lo >>> 12) & 0xff);
      sizeCode = 2;
    }
  }
  s.level = level;
  s.leaf = true;
  s.global = ng === 0;
  const afClear = cfg.afe && (ap & 1) === 0;
  s.perm =
    clientRights(ap, cfg.afe, xn, pxn, !afClear) |
    shortMemType(cfg, tex, cb >>> 1, cb & 1) |
    (sizeCode << PERM_SIZE_SHIFT) |
    (s.domain << PERM_DOMAIN_SHIFT);
  return check(s, cfg, access, afClear);
}

/**
 * The long-descriptor walk of VA `lo` under `cfg` for `access`, as
 * {@link walkShort}. A VA in neither TTBR range, or in a range whose EPDn is
 * set, is a level-1 translation fault.
 */
export function walkLpae(
  s: ArmWalkState,
  cfg: ArmV7Config,
  lo: number,
  access: Access,
  trace: WalkStep[] | undefined,
): number {
  const words = s.mem.words;
  s.leaf = false;
  s.domain = 0;
  s.explain = trace !== undefined;
  const ttbr = selectTtbr(cfg, lo);
  s.ttbr = ttbr;
  if (ttbr < 0) return s.stop(ArmFaultCode.Translation, 1, 'VA in neither the TTBR0 nor the TTBR1 range');
  if (ttbr === 0 ? cfg.epd0 : cfg.epd1) {
    return s.stop(
      ArmFaultCode.Translation,
      1,
      ttbr === 0 ? 'TTBCR.EPD0 = 1: no TTBR0 walk' : 'TTBCR.EPD1 = 1: no TTBR1 walk',
    );
  }
  const tsz = ttbr === 0 ? cfg.t0sz : cfg.t1sz;
  let table = ttbr === 0 ? lpaeTableBase(cfg.ttbr0Lo, cfg.ttbr0Hi, tsz) : lpaeTableBase(cfg.ttbr1Lo, cfg.ttbr1Hi, tsz);
  let level = tsz <= 1 ? 1 : 2;
  // Hierarchical attributes of the links walked: APTable[1:0], XNTable, PXNTable (high-half bits 29..30, 28, 27).
  let apTable = 0;
  let xnTable = 0;
  let pxnTable = 0;
  for (;;) {
    const idx =
      level === 1
        ? (lo << tsz) >>> (30 + tsz)
        : level === 2
          ? tsz <= 1
            ? (lo >>> 21) & 511
            : (lo << tsz) >>> (21 + tsz)
          : (lo >>> 12) & 511;
    const pa = table + idx * 8;
    s.entryPa = pa;
    const w = s.word(pa);
    if (w < 0) return s.stop(ArmFaultCode.ExternalAbort, level, 'descriptor outside physical memory');
    const elo = words[w];
    const ehi = words[w + 1];
    if (trace !== undefined) trace.push(step(3 - level, idx, pa, elo, ehi));
    if ((elo & 1) === 0) return s.stop(ArmFaultCode.Translation, level, 'descriptor is invalid');
    if ((elo & 3) === 1 && level === 3) {
      return s.stop(ArmFaultCode.Translation, 3, 'level 3 descriptor type 0b01 is reserved');
    }
    if ((ehi & 0xff00) !== 0) {
      return s.stop(ArmFaultCode.AddressSize, level, 'output address bits [47:40] are not 0');
    }
    if ((elo & 3) === 3 && level < 3) {
      apTable |= (ehi >>> 29) & 3;
      xnTable |= (ehi >>> 28) & 1;
      pxnTable |= (ehi >>> 27) & 1;
      table = ((elo & 0xffff_f000) >>> 0) + (ehi & 0xff) * TWO32;
      level++;
      continue;
    }
    const hiFrames = (ehi & 0xff) * 0x10_0000;
    let sizeCode: number;
    if (level === 1) {
      s.frame = (elo >>> 30) * 0x4_0000 + hiFrames + ((lo >>> 12) & 0x3_ffff);
      sizeCode = 5;
    } else if (level === 2) {
      s.frame = (elo >>> 21) * 512 + hiFrames + ((lo >>> 12) & 511);
      sizeCode = 4;
    } else {
      s.frame = (elo >>> 12) + hiFrames;
      sizeCode = 0;
    }
    s.level = level;
    s.leaf = true;
    s.global = (elo & 0x800) === 0;
    // AP[2:1] in bits 7:6, with APTable[0] clearing AP[1] and APTable[1] setting AP[2] (B3.6.1).
    let ap21 = (elo >>> 6) & 3;
    if (apTable & 1) ap21 &= ~1;
    if (apTable & 2) ap21 |= 2;
    const afClear = (elo & 0x400) === 0;
    const xn = (((ehi >>> 22) & 1) | xnTable) !== 0;
    const pxn = (((ehi >>> 21) & 1) | pxnTable) !== 0;
    s.perm =
      clientRights(ap21 << 1, true, xn, pxn, !afClear) |
      lpaeMemType(cfg, (elo >>> 2) & 7) |
      (sizeCode << PERM_SIZE_SHIFT) |
      (NO_DOMAIN << PERM_DOMAIN_SHIFT);
    return check(s, cfg, access, afClear);
  }
}

function step(level: number, index: number, pa: number, lo: number, hi = 0): WalkStep {
  return { level, index, entryPaddr: pa as PhysAddr, entry: entryValue(hi, lo) };
}
