/**
 * The undo journal that makes every modifying call all-or-nothing.
 *
 * @module
 */

import type { PhysAddr } from '@page-table/memory-addr';
import type { PagingHandler } from './handler.js';

/**
 * Records each entry a call overwrites (its word index and old halves) and
 * each table frame it allocates, so that a failure can put RAM back byte for
 * byte and return the frames. Typed arrays, reused across calls: recording
 * allocates nothing once the journal has grown to the largest call.
 */
export class UndoJournal {
  private word = new Float64Array(64);
  private lo = new Uint32Array(64);
  private hi = new Uint32Array(64);
  private frame = new Float64Array(64);
  private length = 0;
  // Former contents of allocated frames that were not zero, by record index.
  private readonly saved = new Map<number, Uint32Array>();

  /** Forgets everything recorded (the call succeeded, or a new one starts); a journal grown past 64 Ki records shrinks back. */
  reset(): void {
    this.length = 0;
    if (this.saved.size !== 0) this.saved.clear();
    if (this.word.length > 65536) this.resize(64);
  }

  /** Makes room for `records` records at once, so a large region does not grow the journal step by step. */
  reserve(records: number): void {
    if (records > this.word.length) this.resize(records);
  }

  /** Records that entry `w` held (lo, hi) before, and that `frame` (or -1) was allocated for it. */
  record(w: number, lo: number, hi: number, frame: number): void {
    const n = this.length;
    if (n === this.word.length) this.resize(n * 2);
    this.word[n] = w;
    this.lo[n] = lo;
    this.hi[n] = hi;
    this.frame[n] = frame;
    this.length = n + 1;
  }

  /** Zeroes the frame at word `base` just allocated by the last record, saving it first if it held data. */
  clearFrame(words: Uint32Array, base: number): void {
    for (let i = base; i < base + 1024; i++) {
      if (words[i] !== 0) {
        this.saved.set(this.length - 1, words.slice(base, base + 1024));
        words.fill(0, base, base + 1024);
        return;
      }
    }
  }

  /** Undoes every record, newest first: old entries back, allocated frames restored and freed. */
  rollback(h: PagingHandler, toPa: (frame: number) => PhysAddr): void {
    for (let i = this.length - 1; i >= 0; i--) {
      const words = h.words;
      const w = this.word[i];
      words[w] = this.lo[i];
      words[w + 1] = this.hi[i];
      const frame = this.frame[i];
      if (frame >= 0) {
        const saved = this.saved.get(i);
        if (saved !== undefined) h.words.set(saved, h.frameWord(frame));
        h.deallocFrames(toPa(frame), 1);
      }
    }
    this.reset();
  }

  private resize(size: number): void {
    const n = this.length;
    const copy = <T extends Float64Array | Uint32Array>(a: T, b: T): T => {
      if (n > 0) b.set(a.subarray(0, n));
      return b;
    };
    this.word = copy(this.word, new Float64Array(size));
    this.lo = copy(this.lo, new Uint32Array(size));
    this.hi = copy(this.hi, new Uint32Array(size));
    this.frame = copy(this.frame, new Float64Array(size));
  }
}
