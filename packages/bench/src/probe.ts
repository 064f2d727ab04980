/**
 * The plain-JavaScript floors the walker is held against: the fastest code
 * that does the same loads and stores on the same tables, with no validation
 * beyond what the operation itself needs. Each takes the entry's address
 * field as data (`sh`: the bit where the frame number starts in the low
 * half; `hm`: its mask in the high half) so one probe serves every arch.
 *
 * Index math is int32 (table RAM stays far below 2^31 words here), and the
 * walk is unrolled by level count: each level's index is a constant
 * expression, as a hand-written walk for one format would be.
 */

/** Word index of the entry for VA (hi, lo) in the table at word `t` for a level. */
const at4 = (t: number, hi: number) => t + (((hi >>> 16) & 511) << 1);
const at3 = (t: number, hi: number) => t + (((hi >>> 7) & 511) << 1);
const at2 = (t: number, hi: number, lo: number) => t + ((((lo >>> 30) | (hi << 2)) & 511) << 1);
const at1 = (t: number, lo: number) => t + (((lo >>> 21) & 511) << 1);
const at0 = (t: number, lo: number) => t + (((lo >>> 12) & 511) << 1);

/**
 * Word index of the last-level entry for (hi, lo) under the root table at
 * word `root`, or -1 at a zero link: an unrolled int32 chase.
 */
export function leafWord(
  words: Uint32Array,
  root: number,
  levels: number,
  sh: number,
  hm: number,
  hi: number,
  lo: number,
): number {
  const up = 32 - sh;
  let t = root;
  let w: number;
  if (levels === 5) {
    w = at4(t, hi);
    t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
    if (t === 0) return -1;
  }
  if (levels >= 4) {
    w = at3(t, hi);
    t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
    if (t === 0) return -1;
  }
  w = at2(t, hi, lo);
  t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
  if (t === 0) return -1;
  w = at1(t, lo);
  t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
  if (t === 0) return -1;
  return at0(t, lo);
}

/** The floor of a query: the chase above, then the PA (frame and page offset) of `count` VAs summed. */
export function floorChase(
  words: Uint32Array,
  root: number,
  levels: number,
  sh: number,
  hm: number,
  vas: Float64Array,
): number {
  const up = 32 - sh;
  let acc = 0;
  for (let i = 0; i < vas.length; i++) {
    const v = vas[i];
    const lo = v >>> 0;
    const hi = (v / 4294967296) >>> 0;
    const w = leafWord(words, root, levels, sh, hm, hi, lo);
    const f = ((words[w + 1] & hm) << up) | (words[w] >>> sh);
    acc += f * 4096 + (lo & 0xfff);
  }
  return acc;
}

/** The old floor, kept as a second column: a loop over levels with double index math. */
export function loopChase(
  words: Uint32Array,
  rootFrame: number,
  levels: number,
  sh: number,
  hm: number,
  vas: Float64Array,
): number {
  const lospan = 2 ** (32 - sh);
  let acc = 0;
  for (let i = 0; i < vas.length; i++) {
    const v = vas[i];
    const lo = v >>> 0;
    const hi = (v / 4294967296) >>> 0;
    let t = rootFrame;
    for (let level = levels - 1; level >= 0; level--) {
      const ix =
        level === 0
          ? (lo >>> 12) & 511
          : level === 1
            ? (lo >>> 21) & 511
            : level === 2
              ? ((lo >>> 30) | (hi << 2)) & 511
              : level === 3
                ? (hi >>> 7) & 511
                : (hi >>> 16) & 511;
      const w = t * 1024 + ix * 2;
      t = (words[w + 1] & hm) * lospan + (words[w] >>> sh);
    }
    acc += t * 4096 + (lo & 0xfff);
  }
  return acc;
}

/** Map probe: `n` 4 KiB pages from `va` to `pa` into existing tables, each entry checked empty first. */
export function probeMap(
  words: Uint32Array,
  root: number,
  levels: number,
  sh: number,
  hm: number,
  va: number,
  pa: number,
  n: number,
  bits: number,
  hiBits: number,
): void {
  for (let i = 0; i < n; i++) {
    const v = va + i * 4096;
    const w = leafWord(words, root, levels, sh, hm, (v / 4294967296) >>> 0, v >>> 0);
    if (w < 0 || (words[w] | words[w + 1]) !== 0) throw new Error('probe: not an empty entry');
    const f = (pa + i * 4096) / 4096;
    words[w] = ((f << sh) | bits) >>> 0;
    words[w + 1] = ((f >>> (32 - sh)) & hm) | hiBits;
  }
}

/** Protect probe: rewrites the attribute bits of `n` mapped 4 KiB entries from `va`, keeping the address field. */
export function probeProtect(
  words: Uint32Array,
  root: number,
  levels: number,
  sh: number,
  hm: number,
  va: number,
  n: number,
  bits: number,
): void {
  const keep = ~((1 << sh) - 1);
  for (let i = 0; i < n; i++) {
    const v = va + i * 4096;
    const w = leafWord(words, root, levels, sh, hm, (v / 4294967296) >>> 0, v >>> 0);
    const lo = words[w];
    if (w < 0 || (lo | words[w + 1]) === 0) throw new Error('probe: nothing mapped');
    words[w] = ((lo & keep) | bits) >>> 0;
  }
}

/** Unmap probe: clears `n` mapped 4 KiB entries from `va`, summing the frames they held. */
export function probeUnmap(
  words: Uint32Array,
  root: number,
  levels: number,
  sh: number,
  hm: number,
  va: number,
  n: number,
): number {
  const up = 32 - sh;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const v = va + i * 4096;
    const w = leafWord(words, root, levels, sh, hm, (v / 4294967296) >>> 0, v >>> 0);
    const lo = words[w];
    const hi = words[w + 1];
    if (w < 0 || (lo | hi) === 0) throw new Error('probe: nothing mapped');
    acc += ((hi & hm) << up) | (lo >>> sh);
    words[w] = 0;
    words[w + 1] = 0;
  }
  return acc;
}

/**
 * Region probe: maps `pages` 4 KiB pages from VA `va` (4 KiB aligned, below
 * 2^53) to `pa` linearly, creating last-level tables from `alloc` (a zeroed
 * frame's word index) where a level-1 entry is empty; upper tables must exist.
 * Checks every leaf empty; no journal.
 */
export function probeRegion(
  words: Uint32Array,
  root: number,
  levels: number,
  sh: number,
  hm: number,
  va: number,
  pa: number,
  pages: number,
  bits: number,
  hiBits: number,
  tableBits: number,
  alloc: () => number,
): void {
  const up = 32 - sh;
  let vpn = va / 4096;
  let f = pa / 4096;
  const end = vpn + pages;
  while (vpn < end) {
    const hi = (vpn / 1048576) >>> 0;
    const lo = (vpn << 12) >>> 0;
    // Walk to the level-1 entry.
    let t = root;
    let w: number;
    if (levels === 5) {
      w = at4(t, hi);
      t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
    }
    if (levels >= 4) {
      w = at3(t, hi);
      t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
    }
    w = at2(t, hi, lo);
    t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
    w = at1(t, lo);
    t = (((words[w + 1] & hm) << up) | (words[w] >>> sh)) << 10;
    if (t === 0) {
      t = alloc();
      const tf = t >>> 10;
      words[w] = ((tf << sh) | tableBits) >>> 0;
      words[w + 1] = (tf >>> up) & hm;
    }
    // Fill this last-level table up to its end or the region's.
    let slot = vpn & 511;
    let n = Math.min(512 - slot, end - vpn);
    vpn += n;
    for (; n > 0; n--, slot++, f++) {
      const e = t + (slot << 1);
      if ((words[e] | words[e + 1]) !== 0) throw new Error('probe: not an empty entry');
      words[e] = ((f << sh) | bits) >>> 0;
      words[e + 1] = ((f >>> up) & hm) | hiBits;
    }
  }
}
