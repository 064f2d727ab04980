/**
 * `FrameMemory`: the walker's read-only physical memory over any
 * {@link FrameSource}, through a bounded LRU cache of frames.
 *
 * @module
 */

import type { PagingHandler } from '@page-table/core';
import type { PhysAddr } from '@page-table/memory-addr';
import { FRAME_SIZE, type FrameSource } from './frame-source.js';

const FRAME_WORDS = FRAME_SIZE / 4;
const HINT_SIZE = 4096;
const HINT_MASK = HINT_SIZE - 1;

/** How much {@link FrameMemory} keeps and whom it tells about reads. */
export interface FrameMemoryOptions {
  /** Frames kept at once (least recently used ones are dropped). Default 1024 (4 MiB). */
  cacheFrames?: number;
  /** Called after each frame read from the source, with the number read so far (progress reporting). */
  onRead?: (framesRead: number) => void;
}

/**
 * A read-only {@link PagingHandler} over a {@link FrameSource}: frames are
 * read on first use into a pool of `cacheFrames` slots and evicted least
 * recently used first, so the walker can adopt and walk the tables of a dump
 * of any size in bounded memory. Frames the source does not back answer -1
 * and are never cached (a live source may back them later).
 *
 * As core's contract allows, a word index from {@link frameWord} stays valid
 * only until the next `frameWord` call. Nothing is ever written:
 * {@link allocFrames} has no frames to give and {@link deallocFrames} throws.
 */
export class FrameMemory implements PagingHandler {
  /** The cache pool: slot `s` holds one frame at words `s * 1024 .. s * 1024 + 1023`. */
  readonly words: Uint32Array;
  /** The memory the frames come from. */
  readonly source: FrameSource;
  /** Frames read from the source so far (cache misses that were backed). */
  framesRead = 0;

  private readonly bytes: Uint8Array;
  private readonly scratch = new Uint8Array(FRAME_SIZE);
  private readonly slots: number;
  private readonly slotOf = new Map<number, number>();
  // A direct-mapped hint in front of the map: hint[frame & HINT_MASK] = slot + 1 (0 = none), checked against frameIn.
  private readonly hint = new Int32Array(HINT_SIZE);
  private readonly frameIn: Float64Array;
  // LRU order as a doubly linked list over slots: head = most recent, tail = next to evict.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  private used = 0;
  // The last answer, returned without touching the list (the walker reads one table 512 times in a row).
  private lastFrame = -1;
  private lastWord = -1;
  private readonly onRead: ((framesRead: number) => void) | undefined;

  /** A cache of `options.cacheFrames` frames (default 1024) over `source`. */
  constructor(source: FrameSource, options: FrameMemoryOptions = {}) {
    if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('FrameMemory needs a little-endian host');
    const cacheFrames = options.cacheFrames ?? 1024;
    if (!Number.isSafeInteger(cacheFrames) || cacheFrames < 1)
      throw new RangeError(`cacheFrames ${cacheFrames} must be at least 1`);
    this.source = source;
    this.slots = cacheFrames;
    this.words = new Uint32Array(this.slots * FRAME_WORDS);
    this.bytes = new Uint8Array(this.words.buffer);
    this.frameIn = new Float64Array(this.slots).fill(-1);
    this.prev = new Int32Array(this.slots);
    this.next = new Int32Array(this.slots);
    this.onRead = options.onRead;
  }

  /** {@inheritDoc @page-table/core!PhysMemory.frameWord} */
  frameWord(frame: number): number {
    if (frame === this.lastFrame) return this.lastWord;
    const h = this.hint[frame & HINT_MASK] - 1;
    let slot = h >= 0 && this.frameIn[h] === frame ? h : this.slotOf.get(frame);
    if (slot === undefined) {
      if (!(frame >= 0 && frame < 2 ** 52) || !this.source.readFrame(frame, this.scratch)) return -1;
      slot = this.store(frame);
    } else {
      this.touch(slot);
    }
    this.hint[frame & HINT_MASK] = slot + 1;
    this.lastFrame = frame;
    this.lastWord = slot * FRAME_WORDS;
    return this.lastWord;
  }

  /** Drops every cached frame (the source changed, e.g. a live guest ran). */
  invalidate(): void {
    this.slotOf.clear();
    this.hint.fill(0);
    this.frameIn.fill(-1);
    this.used = 0;
    this.head = -1;
    this.tail = -1;
    this.lastFrame = -1;
  }

  /** A dump is read-only: there are never frames to allocate. */
  allocFrames(_count: number, _align: number): PhysAddr | undefined {
    return undefined;
  }

  /** A dump is read-only: nothing was allocated, so nothing can be freed. */
  deallocFrames(pa: PhysAddr, _count: number): void {
    throw new Error(`FrameMemory is read-only: cannot free the frame at PA 0x${pa.toString(16)}`);
  }

  /** Puts the frame just read into `scratch` into a free or the least recently used slot; returns the slot. */
  private store(frame: number): number {
    let slot: number;
    if (this.used < this.slots) {
      slot = this.used++;
    } else {
      slot = this.tail;
      this.unlink(slot);
      this.slotOf.delete(this.frameIn[slot]);
    }
    this.bytes.set(this.scratch, slot * FRAME_SIZE);
    this.frameIn[slot] = frame;
    this.slotOf.set(frame, slot);
    this.pushFront(slot);
    this.framesRead++;
    this.onRead?.(this.framesRead);
    return slot;
  }

  private touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.pushFront(slot);
  }

  private unlink(slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
  }

  private pushFront(slot: number): void {
    this.prev[slot] = -1;
    this.next[slot] = this.head;
    if (this.head >= 0) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail < 0) this.tail = slot;
  }
}
