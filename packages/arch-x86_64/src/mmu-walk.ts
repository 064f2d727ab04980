/**
 * The x86_64 walk (SDM Vol. 3A §4.5): from CR3's root through the PML5 /
 * PML4, PDPT, PD and PT entries to a leaf — or, in PAE paging (§4.4), from
 * the PDPTE register VA bits 31:30 select through the PD and PT — with the
 * reserved-bit checks of each level, the rights collected on the way and looked up in a permission
 * table, and the Accessed / Dirty writes the processor makes (§4.8) through
 * the shared entry compare-and-swap. Allocation-free unless a debug walk
 * records its steps.
 *
 * @module
 */

import {
  type EntryCas,
  type EntryUpdate,
  entryIndex,
  type PhysMemory,
  type SoftTlb,
  type WalkStep,
} from '@page-table/core';
import type { PhysAddr } from '@page-table/memory-addr';
import { type X64FaultReason, X64PfError } from './fault.js';
import { MODE_32, MODE_PAE, type X64MmuConfig } from './mmu-config.js';
import {
  denialText,
  PERM_D,
  PERM_KEY_SHIFT,
  PERM_U,
  PERM_UC,
  PERM_W,
  PERM_XD,
  type X64RightsState,
} from './mmu-rights.js';
import { X64Bits } from './pte.js';

/** One Accessed/Dirty write a debug walk found `translate` would make (and did not make). */
export type X64AdUpdate = EntryUpdate;

// Entry bits (low half; XD in the high half), as module constants so the walk reads them as literals.
const { P, RW, US, PCD, A, D, PS, G, XD_HI } = X64Bits;
const ADDR_HI = 0xfffff;
const TWO20 = 0x10_0000;

/**
 * Reserved low-half bits by level (SDM §4.5 tables 4-15..4-20): PS in a PML5E
 * or PML4E; bits 20:13 of a 2 MiB leaf; bits 29:13 of a 1 GiB leaf.
 */
const RSVD_TABLE_LO = [0, 0, 0, PS, PS];
const RSVD_LEAF_LO = [0, 0x1f_e000, 0x3fff_e000, 0, 0];
const LEVEL_NAMES = ['PTE', 'PDE', 'PDPTE', 'PML4E', 'PML5E'];

/** Where a walk ended: the leaf's frame and permission word, or the fault. Reused from walk to walk. */
export class X64WalkState {
  /** A state for walks over `mem`, writing A/D bits through `cas`. */
  constructor(
    /** The physical memory walked. */
    readonly mem: PhysMemory,
    /** The compare-and-swap of every A/D write. */
    readonly cas: EntryCas,
    /** The TLB a successful walk fills (none for a debug walk). */
    readonly tlb?: SoftTlb,
  ) {}

  /** #PF error code of the fault. */
  ec = 0;
  /** Level of the entry where the walk stopped (the leaf's level on success). */
  level = 0;
  /** Why the walk faulted. */
  stop: X64FaultReason = 'not-present';
  /** The leaf's permission row (with {@link PERM_UC}), or -1 when no leaf was reached. */
  row = -1;
  /** Level of the leaf reached, or -1. */
  leafLevel = -1;
  /** The 4 KiB frame of the access, on success. */
  frame = 0;
  /** The TLB permission word of the leaf, on success. */
  perm = 0;
  /** A/D writes a debug walk noted (undefined outside debug walks). */
  ad: X64AdUpdate[] | undefined;

  /** Clears what a new walk reports. */
  reset(debug: boolean): void {
    this.row = -1;
    this.leafLevel = -1;
    this.ad = debug ? [] : undefined;
  }

  /** Records a fault; returns -1. */
  fail(level: number, why: X64FaultReason, ec: number): number {
    this.level = level;
    this.stop = why;
    this.ec = ec;
    return -1;
  }
}

/**
 * One walk (SDM §4.5) over `out.mem`: 0 with the leaf in `out`, or -1 with
 * the fault in `out`. `table` is the permission table of the current privilege and
 * `accEc` the error-code bits of the access. With `steps`, a debug walk:
 * every entry read is recorded and no entry is written (the writes are
 * noted in `out.ad`); otherwise a successful walk fills `out.tlb`.
 */
export function walkX64(
  cfg: X64MmuConfig,
  table: Uint8Array,
  accEc: number,
  hi: number,
  lo: number,
  access: number,
  out: X64WalkState,
  steps: WalkStep[] | undefined,
): number {
  const mem = out.mem;
  const cas = out.cas;
  const rsvdHi = cfg.rsvdHi;
  const write = access === 1;
  walk: for (;;) {
    let frame = cfg.rootFrame;
    let and = RW | US;
    let xd = 0;
    let level = cfg.top;
    if (cfg.mode === MODE_PAE) {
      // The PDPTE registers: their reserved bits were checked when they were loaded; they hold no rights and no A bit.
      const i = lo >>> 30;
      const plo = cfg.pdpte[2 * i];
      const phi = cfg.pdpte[2 * i + 1];
      if (steps !== undefined) {
        steps.push({
          level: 2,
          index: i,
          entryPaddr: (cfg.pdptPa + i * 8) as PhysAddr,
          entry: (BigInt(phi) << 32n) | BigInt(plo),
        });
      }
      if ((plo & P) === 0) return out.fail(2, 'not-present', accEc);
      frame = (plo >>> 12) + (phi & ADDR_HI) * TWO20;
    }
    for (; ; level--) {
      const index = entryIndex(hi, lo, level);
      const base = mem.frameWord(frame);
      if (base < 0) return out.fail(level, 'unbacked-table', accEc);
      const words = mem.words;
      const w = base + index * 2;
      const elo = words[w];
      const ehi = words[w + 1];
      if (steps !== undefined) {
        steps.push({
          level,
          index,
          entryPaddr: (frame * 4096 + index * 8) as PhysAddr,
          entry: (BigInt(ehi) << 32n) | BigInt(elo),
        });
      }
      if ((elo & P) === 0) return out.fail(level, 'not-present', accEc);
      const leaf = level === 0 || (level <= 2 && (elo & PS) !== 0);
      if ((ehi & rsvdHi) !== 0 || (elo & (leaf ? RSVD_LEAF_LO[level] : RSVD_TABLE_LO[level])) !== 0) {
        return out.fail(level, 'reserved-bit', accEc | X64PfError.P | X64PfError.RSVD);
      }
      and &= elo;
      xd |= ehi;
      if (!leaf) {
        // A is set in every paging-structure entry used (SDM §4.8), here as the walk passes it.
        if ((elo & A) === 0) {
          if (steps === undefined) {
            if (!cas.swapLo(words, w, elo, ehi, (elo | A) >>> 0)) continue walk;
          } else noteAd(out, level, frame * 4096 + index * 8, ehi, elo, (elo | A) >>> 0);
        }
        frame = (elo >>> 12) + (ehi & ADDR_HI) * TWO20;
        continue;
      }
      const row =
        (and & RW ? PERM_W : 0) |
        (and & US ? PERM_U : 0) |
        (xd & XD_HI ? PERM_XD : 0) |
        (((ehi >>> 27) & 15) << PERM_KEY_SHIFT);
      out.row = row | (elo & PCD ? PERM_UC : 0);
      out.leafLevel = level;
      const ec = table[row * 3 + access];
      if (ec !== 0) return out.fail(level, ec & X64PfError.PK ? 'protection-key' : 'protection', ec);
      // The leaf gets A (and D on a write) only once the access is allowed.
      const want = (elo | A | (write ? D : 0)) >>> 0;
      if (want !== elo) {
        if (steps === undefined) {
          if (!cas.swapLo(words, w, elo, ehi, want)) continue walk;
        } else noteAd(out, level, frame * 4096 + index * 8, ehi, elo, want);
      }
      const efr = (elo >>> 12) + (ehi & ADDR_HI) * TWO20;
      let f4k: number;
      if (level === 0) f4k = efr;
      // Division, not `efr % 512`: `%` on a double is a runtime call.
      else if (level === 1) f4k = Math.floor(efr / 512) * 512 + ((lo >>> 12) & 511);
      else f4k = Math.floor(efr / 262144) * 262144 + ((lo >>> 12) & 0x3ffff);
      const perm = row | (write || (elo & D) !== 0 ? PERM_D : 0) | (elo & PCD ? PERM_UC : 0);
      out.level = level;
      out.frame = f4k;
      out.perm = perm;
      // The fill is made here, from locals, rather than by the caller from `out`: it keeps the miss fast.
      if (steps === undefined) out.tlb?.insert(hi, lo, cfg.asid, (elo & G) !== 0 && cfg.pge, f4k, level, perm);
      return 0;
    }
  }
}

/** Debug walk: records an A/D write `translate` would make. */
function noteAd(
  out: X64WalkState,
  level: number,
  entryPaddr: number,
  ehi: number,
  before: number,
  after: number,
): void {
  const hi = BigInt(ehi >>> 0) << 32n;
  out.ad?.push({
    level,
    entryPaddr: entryPaddr as PhysAddr,
    before: hi | BigInt(before >>> 0),
    after: hi | BigInt(after >>> 0),
  });
}

/** Where and why a faulting walk stopped, in words (the debug report's `stop`). */
export function describeX64Stop(
  out: X64WalkState,
  cfg: X64MmuConfig,
  steps: readonly WalkStep[],
  access: number,
  state: X64RightsState,
): string {
  const level = out.level;
  const name = `level ${level} (${LEVEL_NAMES[level]})`;
  switch (out.stop) {
    case 'unbacked-table':
      return `${name}: the paging structure is outside physical memory`;
    case 'not-present':
      return `not present at ${name}`;
    case 'reserved-bit': {
      const e = steps[steps.length - 1].entry;
      const leaf = level === 0 || (level <= 2 && (e & 0x80n) !== 0n);
      const mask =
        cfg.mode === MODE_32
          ? BigInt(cfg.rsvd4M)
          : (BigInt(cfg.rsvdHi) << 32n) | BigInt(leaf ? RSVD_LEAF_LO[level] : RSVD_TABLE_LO[level]);
      return `reserved bit set at ${name}: 0x${(e & mask).toString(16)}`;
    }
    default:
      return `${out.stop} at ${name}: ${denialText(out.row, access, state)}`;
  }
}
