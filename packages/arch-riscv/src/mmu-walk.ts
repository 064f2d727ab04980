/**
 * The RISC-V walk (privileged spec, "Virtual Address Translation Process"
 * steps 2-8, with the Svpbmt, Svnapot, Svade and Svadu rules) for Sv32
 * (PTESIZE 4, 10-bit VPNs, LEVELS 2) and Sv39/48/57 (PTESIZE 8, 9-bit VPNs):
 * from `satp.PPN` through the levels to a leaf, each entry read checked by PMP/PMA,
 * the reserved encodings, the permission rule, superpage alignment and the
 * A/D rule, the A/D write made through the shared entry compare-and-swap.
 * Allocation-free unless a debug walk records its steps.
 *
 * @module
 */

import { Access, type EntryCas, entryIndex, type PhysMemory, type WalkStep } from '@page-table/core';
import type { PhysAddr } from '@page-table/memory-addr';
import { accessFaultCause, pageFaultCause } from './fault.js';
import type { RiscvHart, RiscvMmuConfig, RiscvPhysCheck } from './mmu-config.js';
import { denialText, PERM_NAPOT, PERM_PBMT_SHIFT, permits } from './mmu-rights.js';
import { PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from './pte.js';

/** 4 KiB pages per leaf at each level. */
const PAGES = [1, 512, 262144, 134217728, 68719476736];
/** 4 KiB pages per Sv32 leaf: a 4 KiB page, a 4 MiB megapage. */
const PAGES_SV32 = [1, 1024];
/** Frames at or above this have a PA at or above 2^53. */
const SAFE_FRAME_LIMIT = 2 ** 41;
/** Entry bits 60:54 in the high word. */
const RESERVED_HI = 0x1fc0_0000;
/** PPN bits 22..43 in the high word. */
const PPN_HI_MASK = 0x3f_ffff;
const PPN_LO_SPAN = 0x40_0000;
/** Low-word bits a pointer entry has clear, but V: every flag except G. */
const POINTER_MASK_LO = PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;
/** High-word bits a pointer entry has clear: N, PBMT and the reserved bits 60:54 (all above the PPN). */
const POINTER_MASK_HI = ~PPN_HI_MASK;

/** A walk's outcome: success. */
export const WALK_OK = 0;
/** A walk's outcome: a fault, described by the state. */
export const WALK_FAULT = -1;
/** A walk's outcome: the A/D compare-and-swap lost a race; walk again. */
export const WALK_RETRY = -2;

/** The entry as a bigint, for reports. */
export function entryValue(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Where a walk ended: the leaf's frame and perm word, or the fault. Reused from walk to walk. */
export class RiscvWalkState {
  /** A state for walks over `mem` on `hart`, writing A/D bits through `cas`. */
  constructor(
    /** The physical memory walked. */
    readonly mem: PhysMemory,
    /** The hart's fixed facts (Svnapot, PMP). */
    readonly hart: RiscvHart,
    /** The compare-and-swap of every A/D write. */
    readonly cas: EntryCas,
  ) {
    this.pmp = hart.pmp;
    this.svnapot = hart.svnapot;
  }

  /** `hart.pmp`, one load closer to the walk. */
  readonly pmp: RiscvPhysCheck | undefined;
  /** `hart.svnapot`. */
  readonly svnapot: boolean;

  /** Exception code of the fault. */
  cause = 0;
  /** Why the walk faulted, in the spec's words. */
  why = '';
  /** Level of the entry where the walk stopped (the leaf's level on success). */
  level = 0;
  /** TLB perm word of the leaf: PTE bits 7:0, {@link PERM_NAPOT}, PBMT. */
  perm = 0;
  /** The 4 KiB frame of the access, on success. */
  frame = 0;
  /** Whether any entry on the path had G = 1. */
  global = false;
  /** PA of the last entry read (kept by debug walks and with a PMP check only). */
  entryPa = 0;
  /** A debug walk: the leaf entry before the A/D write it skipped. */
  before = 0n;
  /** A debug walk: the leaf entry the skipped A/D write would leave. */
  after = 0n;
  /** A debug walk: whether an A/D write was skipped. */
  ad = false;
  /** A debug walk: whether a leaf was reached (then {@link perm} and {@link level} describe it). */
  leaf = false;

  /** Records a fault; returns {@link WALK_FAULT}. */
  stop(cause: number, why: string, level: number): number {
    this.cause = cause;
    this.why = why;
    this.level = level;
    return WALK_FAULT;
  }
}

/**
 * One pass of the translation process for a VA (hi, lo) canonical for
 * `cfg`'s mode at privilege `p` (0 or 1): {@link WALK_OK} with the frame in
 * `s.frame`, {@link WALK_FAULT} (the state says which) or {@link WALK_RETRY}.
 * With `dry` nothing is written and every entry read is pushed to `trace`.
 */
export function walkRiscv(
  s: RiscvWalkState,
  cfg: RiscvMmuConfig,
  hi: number,
  lo: number,
  access: Access,
  p: number,
  dry: boolean,
  trace: WalkStep[] | undefined,
): number {
  const mem = s.mem;
  const pmp = s.pmp;
  const sv32 = cfg.sv32;
  const pf = pageFaultCause(access);
  let frame = cfg.rootFrame;
  let level = cfg.levels - 1;
  let global = false;
  s.ad = false;
  s.leaf = false;
  // The entry's PA is needed by the PMP checks and the debug report only.
  const needPa = dry || pmp !== undefined;
  for (;;) {
    const idx = sv32 ? (lo >>> (12 + 10 * level)) & 1023 : entryIndex(hi, lo, level);
    const base = mem.frameWord(frame);
    const entryPa = needPa ? frame * 4096 + idx * (sv32 ? 4 : 8) : 0;
    // Step 2: the PTE read itself must pass PMA (memory there) and PMP (as an S-mode read).
    if (needPa) s.entryPa = entryPa;
    if (base < 0) return s.stop(accessFaultCause(access), 'page-table entry outside physical memory', level);
    if (pmp !== undefined && !pmp(entryPa, Access.Read, 1)) {
      return s.stop(accessFaultCause(access), 'PMP/PMA denies reading the page-table entry', level);
    }
    const words = mem.words;
    // Sv32 PTEs are one word: PPN[1] in bits 31:20, PPN[0] in 19:10, so `elo >>> 10` is the whole 22-bit PPN.
    const w = base + (sv32 ? idx : idx * 2);
    let elo = words[w];
    const ehi = sv32 ? 0 : words[w + 1];
    trace?.push({ level, index: idx, entryPaddr: entryPa as PhysAddr, entry: entryValue(ehi, elo) });
    // The common pointer: V = 1, R = W = X = U = A = D = 0, no reserved, PBMT or N bits, not at the last level.
    // It passes every check below, so it goes straight to the next level.
    if ((elo & POINTER_MASK_LO) === PTE_V && (ehi & POINTER_MASK_HI) === 0 && level !== 0) {
      if ((elo & PTE_G) !== 0) global = true;
      frame = (elo >>> 10) + ehi * PPN_LO_SPAN;
      level--;
      continue;
    }
    // Step 3: invalid, reserved R/W/X encodings and reserved bits.
    if ((elo & PTE_V) === 0) return s.stop(pf, 'V=0', level);
    if ((elo & (PTE_R | PTE_W)) === PTE_W) return s.stop(pf, 'W=1 without R (reserved encoding)', level);
    if ((ehi & RESERVED_HI) !== 0) return s.stop(pf, 'reserved bits 60:54 set', level);
    const pbmt = (ehi >>> 29) & 3;
    if (pbmt !== 0) {
      if (!cfg.svpbmt) return s.stop(pf, 'PBMT set without Svpbmt (reserved)', level);
      if (pbmt === 3) return s.stop(pf, 'PBMT=3 (reserved value)', level);
    }
    const napot = ehi >>> 31 !== 0;
    if (napot && !s.svnapot) return s.stop(pf, 'N set without Svnapot (reserved)', level);
    const ppn = (elo >>> 10) + (ehi & PPN_HI_MASK) * PPN_LO_SPAN;
    if ((elo & (PTE_R | PTE_X)) === 0) {
      // Step 4: a pointer to the next level.
      if ((elo & (PTE_A | PTE_D | PTE_U)) !== 0)
        return s.stop(pf, 'A, D or U set on a non-leaf entry (reserved)', level);
      if (napot || pbmt !== 0) return s.stop(pf, 'N or PBMT set on a non-leaf entry (reserved)', level);
      if (level === 0) return s.stop(pf, 'non-leaf entry at the last level', level);
      if ((elo & PTE_G) !== 0) global = true;
      frame = ppn;
      level--;
      continue;
    }
    if ((elo & PTE_G) !== 0) global = true;
    // Svnapot: only a level-0 leaf with ppn[3:0] = 1000 (64 KiB) is defined.
    // ppn[3:0] from the low word, and below divisions by powers of two: `%` on a double is a runtime call.
    if (napot && (level !== 0 || ((elo >>> 10) & 15) !== 8)) return s.stop(pf, 'reserved NAPOT encoding', level);
    // A leaf: what the debug walk reports as its permissions, whatever follows.
    if (dry) {
      s.leaf = true;
      s.level = level;
      s.perm = (elo & 0xff) | (napot ? PERM_NAPOT : 0) | (pbmt << PERM_PBMT_SHIFT);
    }
    // Step 5: R/W/X/U against the privilege, SUM and MXR.
    if (!permits(cfg.rights, elo, access, p)) return s.stop(pf, denialText(cfg.rights, elo, access, p), level);
    // Step 6: superpage alignment.
    const pages = sv32 ? PAGES_SV32[level] : PAGES[level];
    if (level > 0 && Math.floor(ppn / pages) * pages !== ppn) return s.stop(pf, 'misaligned superpage', level);
    // Step 7: A/D.
    const store = access === Access.Write;
    if ((elo & PTE_A) === 0 || (store && (elo & PTE_D) === 0)) {
      if (!cfg.svadu) return s.stop(pf, (elo & PTE_A) === 0 ? 'A=0 (Svade)' : 'D=0 on a store (Svade)', level);
      const next = (elo | PTE_A | (store ? PTE_D : 0)) >>> 0;
      if (pmp !== undefined && !pmp(entryPa, Access.Write, 1)) {
        return s.stop(accessFaultCause(access), 'PMP/PMA denies the A/D write', level);
      }
      if (dry) {
        s.ad = true;
        s.before = entryValue(ehi, elo);
        s.after = entryValue(ehi, next);
      } else if (!(sv32 ? s.cas.swap32(words, w, elo, next) : s.cas.swapLo(words, w, elo, ehi, next)))
        return WALK_RETRY;
      elo = next;
    }
    // Step 8: the PA.
    const vpn = hi * 1048576 + (lo >>> 12);
    const frame4k = napot
      ? ppn - 8 + ((lo >>> 12) & 15)
      : level === 0
        ? ppn
        : ppn + (vpn - Math.floor(vpn / pages) * pages);
    if (frame4k >= SAFE_FRAME_LIMIT)
      return s.stop(accessFaultCause(access), 'PA at or above 2^53 (outside physical memory)', level);
    s.level = level;
    s.frame = frame4k;
    s.global = global;
    s.perm = (elo & 0xff) | (napot ? PERM_NAPOT : 0) | (pbmt << PERM_PBMT_SHIFT);
    return WALK_OK;
  }
}
