/**
 * What both benchmarks share: the page count, where the pages sit, and the
 * scrambled order in which they are visited.
 */

/** Pages mapped and visited by every measured loop. */
export const PAGES = 65536;

/** First VA of the mapped pages: 1 GiB, so they span 128 last-level tables. */
export const BASE = 0x4000_0000;

/** A deterministic permutation of 0..n-1 (xorshift Fisher-Yates). */
export function scrambled(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  let s = 0x2545f491;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** The VAs of the mapped pages in scrambled order, each at byte offset 0x123. */
export function scrambledVas(): Float64Array {
  const order = scrambled(PAGES);
  const vas = new Float64Array(PAGES);
  for (let i = 0; i < PAGES; i++) vas[i] = BASE + order[i] * 4096 + 0x123;
  return vas;
}
