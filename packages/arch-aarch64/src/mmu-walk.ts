/**
 * The AArch64 stage-1 table walk with the 4 KiB, 16 KiB and 64 KiB granules
 * (Arm ARM AArch64.S1Walk, D8.2; QEMU `get_phys_addr_lpae`): from a range's TTBR
 * through the table descriptors to a block or page, merging the table
 * attributes, checking the output size, the Access flag and the permission
 * table, and making the hardware AF / dirty-state updates (D8.5) through the
 * shared entry compare-and-swap. One function for every regime and range:
 * they differ only in the {@link A64Regime} and {@link A64VaRange} given.
 * Allocation-free unless a debug walk records its steps.
 *
 * @module
 */

import { Access, type EntryCas, type PhysMemory, type WalkStep } from '@page-table/core';
import type { PhysAddr } from '@page-table/memory-addr';
import { A64FaultKind } from './fault.js';
import { leafPerm } from './mmu-perms.js';
import type { A64Regime, A64VaRange } from './mmu-regime.js';

/** What a debug walk read at one level: core's {@link WalkStep} plus the Arm level and the descriptor's type. */
export interface A64WalkStep extends WalkStep {
  /** The Arm lookup level, 0..3 (`level` counts from the leaves: `3 - lookupLevel`). */
  readonly lookupLevel: number;
  /** How the descriptor reads at this level (a `01` descriptor is a block at levels 1 and 2, reserved at 0 and 3). */
  readonly kind: 'table' | 'block' | 'page' | 'invalid' | 'reserved';
}

// Descriptor bits, by half.
/** Descriptor bit 0: valid. */
export const VALID = 1;
/** Descriptor bit 1: table (levels 0-2) or page (level 3); clear for a block. */
export const NOT_BLOCK = 2;
const AP_RO = 1 << 7;
/** Descriptor bit 10: the Access flag. */
export const AF = 1 << 10;
/** Descriptor bit 11: not global (ASID-tagged). */
export const NG = 1 << 11;
const HI_ADDR = 0xffff; // bits 47..32
/** Descriptor bit 51 (high word): DBM, dirty-bit modifier. */
export const HI_DBM = 1 << (51 - 32);
const HI_TABLE_SHIFT = 59 - 32; // PXNTable, UXNTable, APTable[0], APTable[1]

/** Why a walk stopped (debug reports); see `whyText` in mmu-report. */
export const Why = {
  None: 0,
  TopBits: 1,
  Tsz: 2,
  E0pd: 3,
  Epd: 4,
  TtbrSize: 5,
  Invalid: 6,
  Reserved: 7,
  BlockLevel: 8,
  OaSize: 9,
  Af: 10,
  Perm: 11,
  Sea: 12,
  FlatSize: 13,
} as const;

/** VA (hi, lo) shifted right by `sh` (12..47), low 32 bits: a table index once masked. */
function vaBits(hi: number, lo: number, sh: number): number {
  return sh >= 32 ? hi >>> (sh - 32) : (lo >>> sh) | (hi << (32 - sh));
}

/** The descriptor as a bigint (debug reports only). */
export function descriptorBits(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function step(level: number, blockLevel: number, index: number, pa: number, hi: number, lo: number): A64WalkStep {
  const kind =
    (lo & VALID) === 0
      ? 'invalid'
      : (lo & NOT_BLOCK) !== 0
        ? level === 3
          ? 'page'
          : 'table'
        : level >= blockLevel && level < 3
          ? 'block'
          : 'reserved';
  return {
    level: 3 - level,
    lookupLevel: level,
    index,
    entryPaddr: pa as PhysAddr,
    entry: descriptorBits(hi, lo),
    kind,
  };
}

/**
 * Where the last walk ended, reused from walk to walk: on success the 4 KiB
 * frame, Arm level, perm bits and whether the translation is global; on a
 * fault its kind, level and reason; and the leaf descriptor seen (for the
 * debug report, also on Access-flag and Permission faults).
 */
export class A64WalkState {
  /** Fault kind ({@link A64FaultKind}) of a failed walk. */
  kind = 0;
  /** Arm level the walk stopped at (or the leaf's level). */
  level = 0;
  /** Why it stopped ({@link Why}). */
  why: number = Why.None;
  /** The leaf's 4 KiB output frame (for a larger leaf: the frame of the VA's 4 KiB piece of it). */
  frame = 0;
  /** log2 of the leaf's size in bytes (12 for a 4 KiB page, 16 for a 64 KiB page, 29 for a 512 MiB block). */
  bits = 12;
  /** The leaf's perm bits ({@link leafPerm}) after any hardware update. */
  perm = 0;
  /** Not nG (or the EL2 regime): the translation is global. */
  global = false;
  /** Whether a leaf was reached (debug walks: the leaf fields are kept by them only). */
  leaf = false;
  /** The leaf descriptor, low word, as read. */
  leafLo = 0;
  /** The leaf descriptor, high word. */
  leafHi = 0;
  /** The leaf's low word after the hardware update (equal to {@link leafLo} if none). */
  newLo = 0;

  /** A state for walks over `mem`, writing AF / dirty updates through `cas`. */
  constructor(
    /** The physical memory walked. */
    readonly mem: PhysMemory,
    /** The compare-and-swap of every hardware update. */
    readonly cas: EntryCas,
  ) {}

  /** Records why the walk stopped; returns -1. */
  stop(kind: number, level: number, why: number): number {
    this.kind = kind;
    this.level = level;
    this.why = why;
    return -1;
  }
}

/**
 * Walks range `rg` of regime `g` for VA (hi, lo) and `access`, allowed by
 * permission table `lut`: 0 with the result in `s`, or -1 with the fault in
 * `s`. Returns no PA: a PA above 2^31 returned from a call is a heap number,
 * allocated per miss. `debug` makes no write; `steps` collects each
 * descriptor read.
 */
export function a64Walk(
  s: A64WalkState,
  g: A64Regime,
  rg: A64VaRange,
  lut: Uint8Array,
  hi: number,
  lo: number,
  access: number,
  debug: boolean,
  steps: A64WalkStep[] | undefined,
): number {
  if (rg.epd) return s.stop(A64FaultKind.Translation, 0, Why.Epd);
  const outFrames = g.outFrames;
  const baddr = rg.baddr;
  if (baddr >= outFrames * 4096) return s.stop(A64FaultKind.AddressSize, 0, Why.TtbrSize);
  let level = rg.start;
  const granule = rg.granule;
  const stride = rg.stride;
  const oaMask = rg.oaMask;
  // The start table may have fewer entries than the granule's tables (2^stride).
  let mask = rg.startMask;
  // The VA bit the level's index starts at: granule + stride × (3 - level).
  let sh = granule + stride * (3 - level);
  // The table as a frame and a word offset in it (nonzero only for a start table under 4 KiB): no division per level.
  let frame = rg.rootFrame;
  let off = rg.rootWord;
  let tattr = 0; // PXNTable | UXNTable << 1 | APTable << 2, OR-ed down the walk
  const mem = s.mem;
  for (;;) {
    const index = vaBits(hi, lo, sh) & mask;
    // A 16 or 64 KiB table spans several 4 KiB frames: find the descriptor's one.
    const fw = mem.frameWord(frame + (index >>> 9));
    if (fw < 0) return s.stop(A64FaultKind.ExternalAbortOnWalk, level, Why.Sea);
    const w = fw + off + (index & 511) * 2;
    let words = mem.words;
    let dlo = words[w];
    let dhi = words[w + 1];
    if (steps !== undefined)
      steps.push(step(level, rg.blockLevel, index, frame * 4096 + off * 4 + index * 8, dhi, dlo));
    for (;;) {
      if ((dlo & VALID) === 0) return s.stop(A64FaultKind.Translation, level, Why.Invalid);
      if ((dlo & NOT_BLOCK) === 0) {
        if (level === 3) return s.stop(A64FaultKind.Translation, level, Why.Reserved);
        // D8.3 (DS = 0, no FEAT_LPA): blocks at levels 1-2 (4 KiB granule) or 2 only (16, 64 KiB); QEMU 7.2 maps 512 GiB at 4K L0.
        if (level < rg.blockLevel) return s.stop(A64FaultKind.Translation, level, Why.BlockLevel);
      }
      // D8.3: OA [47:granule]; the descriptor bits below the granule are not address bits (RES0 or, with LPA, PA[51:48]).
      const oa = ((dlo >>> 12) & oaMask) + (dhi & HI_ADDR) * 0x10_0000;
      if (oa >= outFrames) return s.stop(A64FaultKind.AddressSize, level, Why.OaSize);
      if (level < 3 && (dlo & NOT_BLOCK) !== 0) {
        tattr |= (dhi >>> HI_TABLE_SHIFT) & 0xf;
        frame = oa;
        off = 0;
        mask = rg.tableMask;
        level++;
        sh -= stride;
        break;
      }
      // A block or page: hardware updates go to a copy first.
      let nlo = dlo;
      const perm0 = leafPerm(nlo, dhi, tattr, g.el2, rg.hpd);
      if (debug) {
        // What the debug report shows of the leaf, also when the access then faults.
        s.leaf = true;
        s.leafLo = dlo;
        s.leafHi = dhi;
        s.perm = perm0;
        s.newLo = dlo;
      }
      if ((dlo & AF) === 0) {
        if (!g.ha) return s.stop(A64FaultKind.AccessFlag, level, Why.Af);
        nlo = (nlo | AF) >>> 0;
      }
      // Dirty state: a store to a DBM page clears AP[2] before table attributes apply (so APTable[1] still wins).
      if (g.hd && (dhi & HI_DBM) !== 0 && access === Access.Write) nlo = (nlo & ~AP_RO) >>> 0;
      const perm = nlo === dlo ? perm0 : leafPerm(nlo, dhi, tattr, g.el2, rg.hpd);
      s.perm = perm;
      if (debug) s.newLo = nlo;
      if (((lut[perm & 15] >>> access) & 1) === 0) return s.stop(A64FaultKind.Permission, level, Why.Perm);
      if (nlo !== dlo && !debug && !s.cas.swapLo(mem.words, w, dlo, dhi, nlo)) {
        // Changed under us: restart on the new value (Arm ARM I_YZSVV).
        words = mem.words;
        dlo = words[w];
        dhi = words[w + 1];
        continue;
      }
      const pages = rg.leafPages[level];
      // Leaf base by division (pages is a power of two), not `oa % pages`: a runtime call on a double.
      s.frame = pages === 1 ? oa : Math.floor(oa / pages) * pages + ((lo >>> 12) & (pages - 1));
      s.level = level;
      s.bits = sh;
      s.global = g.el2 || (dlo & NG) === 0;
      return 0;
    }
  }
}
