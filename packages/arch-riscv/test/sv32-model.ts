// A reference model of Sv32 translation written straight from the privileged
// spec's "Virtual Address Translation Process" (LEVELS = 2, PTESIZE = 4,
// PAGESIZE = 4096) over plain numbers and RAM words, with the MMU's
// documented choices where the spec reserves (A, D or U on a pointer is a
// page fault); no TLB, no PMP. The MMU is compared against it.
import type { RamHandler } from '@page-table/core';

export interface Sv32State {
  /** satp.PPN. */
  root: number;
  priv: 0 | 1;
  sum: boolean;
  mxr: boolean;
  svadu: boolean;
}

export type Sv32Result = { ok: true; pa: number; size: number } | { ok: false; cause: number };

const PAGE_FAULT = [13, 15, 12];
const ACCESS_FAULT = [5, 7, 1];

/** Translates the 32-bit `va` for `access` (0 load, 1 store, 2 fetch); with `commit`, writes A/D into `ram`. */
export function modelSv32(ram: RamHandler, s: Sv32State, va: number, access: number, commit: boolean): Sv32Result {
  const pf: Sv32Result = { ok: false, cause: PAGE_FAULT[access] };
  let a = s.root * 4096;
  for (let i = 1; i >= 0; i--) {
    const at = a + ((va >>> (12 + 10 * i)) & 1023) * 4;
    if (at + 4 > ram.size) return { ok: false, cause: ACCESS_FAULT[access] };
    const pte = ram.words[at / 4];
    const [v, r, w, x, u, , ad, d] = [0, 1, 2, 3, 4, 5, 6, 7].map((b) => ((pte >>> b) & 1) === 1);
    if (!v || (!r && w)) return pf;
    const ppn = pte >>> 10;
    if (!r && !x) {
      if (u || ad || d || i === 0) return pf;
      a = ppn * 4096;
      continue;
    }
    // Step 5: the privilege, SUM and MXR.
    const readable = r || (s.mxr && x);
    const allowed = access === 0 ? readable : access === 1 ? w : x;
    if (!allowed) return pf;
    if (s.priv === 0 && !u) return pf;
    if (s.priv === 1 && u && (access === 2 || !s.sum)) return pf;
    // Step 6: a megapage's PPN[0] must be zero.
    if (i === 1 && (ppn & 1023) !== 0) return pf;
    // Step 7.
    if (!ad || (access === 1 && !d)) {
      if (!s.svadu) return pf;
      if (commit) ram.words[at / 4] = (pte | 0x40 | (access === 1 ? 0x80 : 0)) >>> 0;
    }
    const size = i === 1 ? 0x40_0000 : 0x1000;
    const frame = i === 1 ? ppn + ((va >>> 12) & 1023) : ppn;
    return { ok: true, pa: frame * 4096 + (va & 0xfff), size };
  }
  throw new Error('unreachable');
}
