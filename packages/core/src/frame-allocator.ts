/**
 * A bitmap allocator of frame numbers, with contiguous aligned runs.
 *
 * @module
 */

/**
 * Hands out frames in `[start, end)` (frame numbers), next-fit from the last
 * allocation so that a burst of single-frame allocations is O(1) each.
 * Freeing a frame that is not allocated throws: a double free is a bug.
 */
export class FrameAllocator {
  private readonly used: Uint8Array;
  private cursor = 0;
  /** Frames allocated and not freed. */
  inUse = 0;

  constructor(
    private readonly start: number,
    end: number,
  ) {
    this.used = new Uint8Array(Math.max(0, end - start));
  }

  /** First frame of `count` free frames whose number is a multiple of `alignFrames`, or -1. */
  alloc(count: number, alignFrames: number): number {
    const n = this.used.length;
    let i = this.scan(this.cursor, n, count, alignFrames);
    if (i < 0) i = this.scan(0, Math.min(n, this.cursor + count - 1), count, alignFrames);
    if (i < 0) return -1;
    this.used.fill(1, i, i + count);
    this.inUse += count;
    this.cursor = i + count >= n ? 0 : i + count;
    return this.start + i;
  }

  /** Index of a free aligned run lying inside `[from, to)`, or -1. */
  private scan(from: number, to: number, count: number, alignFrames: number): number {
    let i = from;
    while (i + count <= to) {
      const rem = (this.start + i) % alignFrames;
      if (rem !== 0) {
        i += alignFrames - rem;
        continue;
      }
      let j = 0;
      while (j < count && this.used[i + j] === 0) j++;
      if (j === count) return i;
      i += j + 1;
    }
    return -1;
  }

  /** Whether `frame` is allocated and not freed. */
  isAllocated(frame: number): boolean {
    const i = frame - this.start;
    return i >= 0 && i < this.used.length && this.used[i] === 1;
  }

  /** Returns `count` frames starting at `frame`. */
  free(frame: number, count: number): void {
    const i = frame - this.start;
    if (i < 0 || i + count > this.used.length) {
      throw new RangeError(`frame 0x${(frame * 4096).toString(16)} was not allocated by this allocator`);
    }
    for (let j = i; j < i + count; j++) {
      if (this.used[j] === 0) throw new Error(`double free of frame at PA 0x${((this.start + j) * 4096).toString(16)}`);
    }
    this.used.fill(0, i, i + count);
    this.inUse -= count;
  }
}
