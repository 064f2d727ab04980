/**
 * The walk of 32-bit paging (Intel SDM Vol. 3A §4.3): CR3[31:12] locates a
 * page directory of 1024 4-byte PDEs indexed by VA bits 31:22; a PDE maps a
 * 4 MiB page (PS = 1 with CR4.PSE, PA bits 39:32 in PDE bits 20:13 —
 * PSE-36) or locates a page table of 1024 4-byte PTEs indexed by VA bits
 * 21:12. Rights, A/D writes and faults as in the other modes (§4.6-4.8),
 * with no execute-disable bit and no protection keys. Allocation-free unless
 * a debug walk records its steps.
 *
 * @module
 */

import type { WalkStep } from '@page-table/core';
import type { PhysAddr } from '@page-table/memory-addr';
import { X64PfError } from './fault.js';
import type { X64MmuConfig } from './mmu-config.js';
import { PERM_D, PERM_U, PERM_UC, PERM_W } from './mmu-rights.js';
import type { X64WalkState } from './mmu-walk.js';
import { X64Bits } from './pte.js';

// Entry bits: the low bits of a 32-bit paging entry (SDM Tables 4-4 to 4-6) are those of IA-32e entries.
const { P, RW, US, PCD, A, D, PS, G } = X64Bits;

/** Level of the PD (4 MiB leaves) and of the PT (4 KiB leaves) in a 32-bit walk. */
export const LEVEL_PD = 1;
const LEVEL_PT = 0;

/**
 * One 32-bit-paging walk of the linear address `lo` over `out.mem`: 0 with
 * the leaf in `out` (a 4 MiB leaf reports level 1), or -1 with the fault in
 * `out`. Arguments as for `walkX64`.
 */
export function walkX86_32(
  cfg: X64MmuConfig,
  table: Uint8Array,
  accEc: number,
  lo: number,
  access: number,
  out: X64WalkState,
  steps: WalkStep[] | undefined,
): number {
  const mem = out.mem;
  const cas = out.cas;
  const write = access === 1;
  for (;;) {
    const pdBase = mem.frameWord(cfg.rootFrame);
    if (pdBase < 0) return out.fail(LEVEL_PD, 'unbacked-table', accEc);
    const pdi = lo >>> 22;
    const words = mem.words;
    const wd = pdBase + pdi;
    const pde = words[wd];
    if (steps !== undefined) note(steps, LEVEL_PD, pdi, cfg.rootFrame, pde);
    if ((pde & P) === 0) return out.fail(LEVEL_PD, 'not-present', accEc);
    if (cfg.pse && (pde & PS) !== 0) {
      if ((pde & cfg.rsvd4M) !== 0) return out.fail(LEVEL_PD, 'reserved-bit', accEc | X64PfError.P | X64PfError.RSVD);
      // PA[31:22] from bits 31:22, PA[39:32] from bits 20:13; the 4 KiB frame within from VA bits 21:12.
      const frame = (pde >>> 22) * 1024 + ((pde >>> 13) & 0xff) * 0x10_0000 + ((lo >>> 12) & 1023);
      const epa = cfg.rootFrame * 4096 + pdi * 4;
      const r = leaf(cfg, table, access, write, out, steps, wd, epa, pde, pde, LEVEL_PD, frame, lo);
      if (r !== 1) return r;
      continue;
    }
    // A is set in the PDE as the walk passes it (SDM §4.8).
    if ((pde & A) === 0) {
      const next = (pde | A) >>> 0;
      if (steps === undefined) {
        if (!cas.swap32(words, wd, pde, next)) continue;
      } else noteAd(out, LEVEL_PD, cfg.rootFrame * 4096 + pdi * 4, pde, next);
    }
    const ptFrame = pde >>> 12;
    const ptBase = mem.frameWord(ptFrame);
    if (ptBase < 0) return out.fail(LEVEL_PT, 'unbacked-table', accEc);
    const pti = (lo >>> 12) & 1023;
    const wt = ptBase + pti;
    const pte = mem.words[wt];
    if (steps !== undefined) note(steps, LEVEL_PT, pti, ptFrame, pte);
    if ((pte & P) === 0) return out.fail(LEVEL_PT, 'not-present', accEc);
    const epa = ptFrame * 4096 + pti * 4;
    const r = leaf(cfg, table, access, write, out, steps, wt, epa, pte, pde & pte, LEVEL_PT, pte >>> 12, lo);
    if (r !== 1) return r;
  }
}

/**
 * The leaf `e` at word `w` (PA `epa`), with `and` the AND of the entries' R/W and U/S:
 * the rights check, A (and D on a write) through the compare-and-swap, the
 * TLB fill. 0 on success, -1 on a fault, 1 when the entry changed under the
 * walk (walk again).
 */
function leaf(
  cfg: X64MmuConfig,
  table: Uint8Array,
  access: number,
  write: boolean,
  out: X64WalkState,
  steps: WalkStep[] | undefined,
  w: number,
  epa: number,
  e: number,
  and: number,
  level: number,
  frame: number,
  lo: number,
): number {
  const row = (and & RW ? PERM_W : 0) | (and & US ? PERM_U : 0);
  out.row = row | (e & PCD ? PERM_UC : 0);
  out.leafLevel = level;
  const ec = table[row * 3 + access];
  if (ec !== 0) return out.fail(level, 'protection', ec);
  const want = (e | A | (write ? D : 0)) >>> 0;
  if (want !== e) {
    if (steps === undefined) {
      if (!out.cas.swap32(out.mem.words, w, e, want)) return 1;
    } else noteAd(out, level, epa, e, want);
  }
  const perm = row | (write || (e & D) !== 0 ? PERM_D : 0) | (e & PCD ? PERM_UC : 0);
  out.level = level;
  out.frame = frame;
  out.perm = perm;
  // A 4 MiB leaf is cached with its real size, so INVLPG of any address in it drops all of it.
  if (steps === undefined) out.tlb?.insert(0, lo, 0, (e & G) !== 0 && cfg.pge, frame, level, perm, 12 + 10 * level);
  return 0;
}

function note(steps: WalkStep[], level: number, index: number, frame: number, entry: number): void {
  steps.push({ level, index, entryPaddr: (frame * 4096 + index * 4) as PhysAddr, entry: BigInt(entry >>> 0) });
}

function noteAd(out: X64WalkState, level: number, entryPaddr: number, before: number, after: number): void {
  out.ad?.push({ level, entryPaddr: entryPaddr as PhysAddr, before: BigInt(before >>> 0), after: BigInt(after >>> 0) });
}
