/**
 * Resolving overlapping ranges: which of several claims owns each byte.
 *
 * @module
 */

/** A half-open range [start, end) claimed with a priority (lower wins). */
export interface Claim {
  /** First byte. */
  start: bigint;
  /** One past the last byte. */
  end: bigint;
  /** Lower numbers win where claims overlap. */
  priority: number;
}

/** A maximal range owned by one claim: `owner` is its index in the input. */
export interface Piece {
  /** First byte. */
  start: bigint;
  /** One past the last byte. */
  end: bigint;
  /** Index of the winning claim. */
  owner: number;
}

/**
 * Splits the union of `claims` into non-overlapping pieces in address order,
 * each owned by the lowest-priority claim covering it; adjacent pieces of the
 * same owner are merged. A sweep over the sorted end points with a heap of
 * the open claims: O(n log n) for n claims, however they overlap.
 */
export function paintClaims(claims: readonly Claim[]): Piece[] {
  const points: { at: bigint; claim: number; open: boolean }[] = [];
  claims.forEach((c, i) => {
    if (c.end > c.start) {
      points.push({ at: c.start, claim: i, open: true });
      points.push({ at: c.end, claim: i, open: false });
    }
  });
  points.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const heap = new ClaimHeap(claims);
  const open = new Uint8Array(claims.length);
  const pieces: Piece[] = [];
  let i = 0;
  while (i < points.length) {
    const at = points[i].at;
    while (i < points.length && points[i].at === at) {
      const p = points[i++];
      if (p.open) {
        open[p.claim] = 1;
        heap.push(p.claim);
      } else {
        open[p.claim] = 0;
      }
    }
    while (heap.size > 0 && open[heap.top()] === 0) heap.pop();
    if (heap.size === 0 || i === points.length) continue;
    const owner = heap.top();
    const end = points[i].at;
    const last = pieces[pieces.length - 1];
    if (last !== undefined && last.owner === owner && last.end === at) last.end = end;
    else pieces.push({ start: at, end, owner });
  }
  return pieces;
}

/** A binary min-heap of claim indices ordered by (priority, index). */
class ClaimHeap {
  private readonly items: number[] = [];

  constructor(private readonly claims: readonly Claim[]) {}

  get size(): number {
    return this.items.length;
  }

  top(): number {
    return this.items[0];
  }

  push(claim: number): void {
    const a = this.items;
    a.push(claim);
    let k = a.length - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!this.less(a[k], a[parent])) break;
      [a[k], a[parent]] = [a[parent], a[k]];
      k = parent;
    }
  }

  pop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < a.length && this.less(a[l], a[m])) m = l;
      if (r < a.length && this.less(a[r], a[m])) m = r;
      if (m === k) return;
      [a[k], a[m]] = [a[m], a[k]];
      k = m;
    }
  }

  private less(x: number, y: number): boolean {
    const px = this.claims[x].priority;
    const py = this.claims[y].priority;
    return px < py || (px === py && x < y);
  }
}
