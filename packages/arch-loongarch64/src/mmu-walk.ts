/**
 * The LoongArch64 MMU's own TLB refill (`ptw: true`), as Linux's handler
 * does it: CSR.PGD, LDDIR at each directory level top first, LDPTE 0 and 1,
 * then TLBFILL; and the page a TLB entry gives a VA (the half VA[PS]
 * selects, as a permission word and a 4 KiB frame).
 *
 * @module
 */

import type { PhysMemory, WalkStep } from '@page-table/core';
import type { LA64MmuConfig } from './mmu-config.js';
import type { LA64WalkLayout } from './refill.js';
import { RefillWalker } from './refill.js';
import { type La64Tlb, pow2, ppnFrameOf } from './tlb.js';

/**
 * The refill walk and its last result. Internal to `LA64Mmu`: results are
 * fields, so a walk allocates nothing.
 */
export class LA64RefillWalk {
  /** The LDDIR/LDPTE machine. */
  readonly walker: RefillWalker;
  /** TLBRELO0 of the last walk, low and high halves. */
  lo0 = 0;
  /** See {@link lo0}. */
  hi0 = 0;
  /** TLBREHI.PS of the last walk. */
  ps = 0;
  /** log2 of the leaf size of the last walk: PS, or PS+1 for a huge entry split in two. */
  sizeLog2 = 0;
  /** Permission word of the last {@link page}. */
  perm = 0;
  /** 4 KiB frame of the last {@link page}. */
  frame = 0;

  constructor(mem: PhysMemory, palen: number) {
    this.walker = new RefillWalker(mem, palen);
  }

  /** Walks the tables of `cfg` for VA (hi, lo); TLBRELO1 stays in the walker's out registers. */
  run(cfg: LA64MmuConfig, layout: LA64WalkLayout, hi: number, lo: number): void {
    const w = this.walker;
    const raw = cfg.raw;
    let rh = hi >>> 31 ? raw.pgdhHi : raw.pgdlHi;
    let rl = hi >>> 31 ? raw.pgdhLo : raw.pgdlLo;
    const levels = layout.levels;
    for (let k = 0; k < levels.length; k++) {
      w.lddir(layout, rh, rl, levels[k], hi, lo);
      rh = w.outHi;
      rl = w.outLo;
    }
    w.ldpte(layout, rh, rl, 0, hi, lo);
    // A huge entry split in two is one leaf of 2^(PS+1); a PTE pair is two leaves of 2^PS.
    this.sizeLog2 = (rl & 0x40) !== 0 ? w.outPs + 1 : w.outPs;
    this.lo0 = w.outLo;
    this.hi0 = w.outHi;
    this.ps = w.outPs;
    w.ldpte(layout, rh, rl, 1, hi, lo);
  }

  /** TLBFILL of the last walk's result into slot `i` of `tlb`, tagged with `asid`. */
  fill(tlb: La64Tlb, i: number, va48: number, asid: number): void {
    const w = this.walker;
    tlb.write(i, va48, this.ps, asid, this.lo0, this.hi0, w.outLo, w.outHi, false, this.sizeLog2);
  }

  /** Sets {@link perm} and {@link frame} to the page entry `i` of `t` gives VA (hi, lo). */
  page(t: La64Tlb, i: number, hi: number, lo: number): void {
    const ps = t.ps[i];
    const odd = ps < 32 ? (lo >>> ps) & 1 : (hi >>> (ps - 32)) & 1;
    const hl = odd ? t.lo1[i] : t.lo0[i];
    const hh = odd ? t.hi1[i] : t.hi0[i];
    this.perm = (hl & 0x3f) | ((hh >>> 29) << 6) | (t.sizeLog2[i] << 9);
    // The VA's 4 KiB frame within the page, by masks and shifts: `%` on a double beyond int32 is a runtime call.
    const vaFrame = ps < 32 ? (lo & (pow2(ps) - 1)) >>> 12 : ((hi & (pow2(ps - 32) - 1)) >>> 0) * 1048576 + (lo >>> 12);
    this.frame = ppnFrameOf(hl, hh, ps) + vaFrame;
  }

  /** The recorded loads of a walk in words (for `debugTranslate`). */
  describe(layout: LA64WalkLayout, steps: readonly WalkStep[]): string {
    const parts: string[] = [];
    for (const s of steps) {
      const name = s.level === 0 ? 'PTE' : `Dir${s.level}`;
      parts.push(`${name}[${s.index}] @0x${s.entryPaddr.toString(16)} = 0x${s.entry.toString(16)}`);
    }
    const last = steps.filter((s) => s.level > 0).at(-1);
    const huge = last !== undefined && (last.entry & 0x40n) !== 0n && steps.every((s) => s.level !== 0);
    let text = parts.join(', ');
    if (huge) {
      text += `; huge entry at Dir${last.level} (bit 6): split into two 2^${this.ps}-byte halves`;
    } else if (layout.levels.length === 0 && steps.length === 0) {
      text += 'nothing';
    }
    if (this.walker.unbacked)
      text += `; PA 0x${this.walker.unbackedPa.toString(16)} is not backed by memory (read as 0)`;
    return text;
  }
}
