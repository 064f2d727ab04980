/**
 * The LoongArch64 MMU's own TLB refill (`ptw: true`), as Linux's handler
 * does it: CSR.PGD, LDDIR at each directory level top first, LDPTE 0 and 1,
 * then TLBFILL.
 *
 * @module
 */

import type { PhysMemory, WalkStep } from '@page-table/core';
import type { LA64MmuConfig } from './mmu-config.js';
import type { LA64WalkLayout } from './refill.js';
import { RefillWalker } from './refill.js';
import type { La64Tlb } from './tlb.js';

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

  constructor(mem: PhysMemory, palen: number) {
    this.walker = new RefillWalker(mem, palen);
  }

  /** Walks the tables of `cfg` for the VA in the walker's TLBRBADV; TLBRELO1 stays in the walker's out registers. */
  run(cfg: LA64MmuConfig, layout: LA64WalkLayout): void {
    const w = this.walker;
    const raw = cfg.raw;
    const upper = w.badvHi >>> 31 !== 0;
    w.rjHi = upper ? raw.pgdhHi : raw.pgdlHi;
    w.rjLo = upper ? raw.pgdhLo : raw.pgdlLo;
    const levels = layout.levels;
    for (let k = 0; k < levels.length; k++) {
      w.lddir(layout, levels[k]);
      w.rjHi = w.outHi;
      w.rjLo = w.outLo;
    }
    w.ldpte(layout, 0);
    // A huge entry split in two is one leaf of 2^(PS+1); a PTE pair is two leaves of 2^PS.
    this.sizeLog2 = (w.rjLo & 0x40) !== 0 ? w.outPs + 1 : w.outPs;
    this.lo0 = w.outLo;
    this.hi0 = w.outHi;
    this.ps = w.outPs;
    w.ldpte(layout, 1);
  }

  /** TLBFILL of the last walk's result into slot `i` of `tlb` for the VA (`vhi`, `vlo`: the TLB's form), tagged with `asid`. */
  fill(tlb: La64Tlb, i: number, vhi: number, vlo: number, asid: number): void {
    const w = this.walker;
    const elo = tlb.elo;
    elo[0] = this.lo0;
    elo[1] = this.hi0;
    elo[2] = w.outLo;
    elo[3] = w.outHi;
    tlb.write(i, vhi, vlo, this.ps, asid, false, this.sizeLog2);
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
