// Picks the VAs the capture asks QEMU to translate (`gva2gpa`): from every mapped range its first
// and last byte and pages in between, plus VAs in the gaps between ranges (QEMU answers
// "Unmapped"). Deterministic (seeded), so a capture can be repeated.
import { readFileSync } from 'node:fs';
import { openCore } from './core.mjs';

/**
 * Mapped ranges `{ start, end }` (bigint, end exclusive) from x86 `info tlb` text, contiguous pages
 * merged. A line flagged P (a 2 MiB or 1 GiB leaf; the line does not say which) counts as 2 MiB.
 */
export function rangesFromInfoTlb(text) {
  const out = [];
  for (const m of text.matchAll(/^([0-9a-f]{16}): [0-9a-f]{16} [X-][G-]([P-])/gm)) {
    const start = BigInt(`0x${m[1]}`);
    const end = start + (m[2] === 'P' ? 0x200000n : 0x1000n);
    const last = out[out.length - 1];
    if (last && last.end === start) last.end = end;
    else out.push({ start, end });
  }
  return out;
}

/** Mapped ranges of an AArch64 core's TTBR0 and TTBR1 tables, walked with the repository's library. */
export async function rangesFromWalk(corePath, sysregs) {
  const { A64PageTable } = await import('../../packages/arch-aarch64/dist/index.js');
  const { memory: mem } = openCore(readFileSync(corePath));
  const out = [];
  for (const [reg, range] of [
    ['TTBR0_EL1', 'lower'],
    ['TTBR1_EL1', 'upper'],
  ]) {
    const root = BigInt(sysregs[reg]) & 0x0000_ffff_ffff_f000n;
    const pt = A64PageTable.fromRoot(mem, root, { range });
    for (const m of pt.mappings()) {
      const start = BigInt(m.va);
      out.push({ start, end: start + BigInt(m.size) });
    }
  }
  return out;
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** About `budget` VAs (bigint) over `ranges`, sorted and unique. */
export function pickSamples(ranges, budget) {
  const rand = rng(0x5eed);
  const below = (n) => BigInt(Math.floor(rand() * Number(n)));
  const picked = new Set();
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  // Every range when they fit (more pages of each when there are few), else an even spread
  // (always the first and last range).
  const perRange = Math.max(3, Math.floor((budget * 0.9) / Math.max(1, sorted.length)));
  const step = Math.max(1, Math.ceil((sorted.length * 3) / (budget * 0.9)));
  for (let i = 0; i < sorted.length; i++) {
    if (i % step !== 0 && i !== sorted.length - 1) continue;
    const { start, end } = sorted[i];
    picked.add(start + below(4096n));
    picked.add(end - 1n);
    const pages = (end - start) / 4096n;
    for (let k = 2; k < perRange && pages > 2n; k++)
      picked.add(start + (1n + below(pages - 2n)) * 4096n + below(4096n));
  }
  // Gaps between ranges: QEMU says "Unmapped".
  let gaps = 0;
  for (
    let i = 1;
    i < sorted.length && gaps < budget * 0.1;
    i += Math.max(1, Math.floor(sorted.length / (budget * 0.1)))
  ) {
    const gapStart = sorted[i - 1].end;
    const gapEnd = sorted[i].start;
    if (gapEnd - gapStart >= 4096n) {
      picked.add(gapStart + below(gapEnd - gapStart));
      gaps++;
    }
  }
  return [...picked].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
