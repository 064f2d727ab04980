/**
 * `FileMemory`: physical memory read lazily from a RAM image file, for images
 * larger than what a process wants to hold (a guest's whole RAM dump).
 *
 * @module
 */

import { type Stats, closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { PagingHandler } from '@page-table/core';
import type { PhysAddr } from '@page-table/memory-addr';

const FRAME = 4096;
const FRAME_WORDS = 1024;

/**
 * Thrown for a path that is neither a regular file nor a block device (a
 * FIFO, a socket, a character device, a directory): such a file has no
 * random access, and reading a FIFO would block until a writer comes.
 */
export class SpecialFileError extends Error {
  /** Always `'SpecialFileError'`. */
  override name = 'SpecialFileError';
}

/** What a stat says the file is, for {@link SpecialFileError}'s message. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isDirectory()) return 'a directory';
  return 'a special file';
}

/** Where the image sits in physical memory and how much of it to cache. */
export interface FileMemoryOptions {
  /** PA of the image's first byte (4 KiB aligned). Default 0. */
  base?: number;
  /** Frames kept in memory at once (least recently used ones are dropped). Default 1024 (4 MiB). */
  cacheFrames?: number;
  /** Called after each frame read from the file, with the number read so far (progress reporting). */
  onRead?: (framesRead: number) => void;
}

/**
 * A read-only {@link PagingHandler} over a RAM image file: frame `f` is the
 * 4 KiB at file offset `(f - base / 4096) * 4096`. Frames are read on first
 * use into a pool of `cacheFrames` slots with `readSync` and evicted least
 * recently used first, so the walker can adopt and walk the tables of an
 * image of any size in bounded memory.
 *
 * As the contract allows, a word index from {@link frameWord} stays valid only
 * until the next `frameWord` call. A trailing partial frame of the file is not
 * backed. Nothing is ever written: {@link allocFrames} has no frames to give
 * and {@link deallocFrames} throws.
 */
export class FileMemory implements PagingHandler {
  /** The cache pool: slot `s` holds one frame at words `s * 1024 .. s * 1024 + 1023`. */
  readonly words: Uint32Array;
  /** PA of the image's first byte. */
  readonly base: number;
  /** Bytes of the file. */
  readonly fileSize: number;
  /** Whole frames backed by the file. */
  readonly frameCount: number;
  /** Frames read from the file so far (cache misses). */
  framesRead = 0;

  private fd: number;
  private readonly baseFrame: number;
  private readonly bytes: Uint8Array;
  private readonly slots: number;
  private readonly slotOf = new Map<number, number>();
  private readonly frameIn: Float64Array;
  // LRU order as a doubly linked list over slots: head = most recent, tail = next to evict.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1;
  private tail = -1;
  private used = 0;
  // The last answer, returned without touching the list (the walker asks for one table 512 times in a row).
  private lastFrame = -1;
  private lastWord = -1;
  private readonly onRead: ((framesRead: number) => void) | undefined;

  /** Opens `path` (throws the `fs` error if it cannot be opened). */
  constructor(path: string, options: FileMemoryOptions = {}) {
    if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('FileMemory needs a little-endian host');
    const base = options.base ?? 0;
    if (!Number.isSafeInteger(base) || base < 0 || base % FRAME !== 0) {
      throw new RangeError(`image base 0x${base.toString(16)} is not a 4 KiB aligned PA below 2^53`);
    }
    const cacheFrames = options.cacheFrames ?? 1024;
    if (!Number.isSafeInteger(cacheFrames) || cacheFrames < 1) throw new RangeError(`cacheFrames ${cacheFrames} must be at least 1`);
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below, before any read.
    this.fd = openFile(path);
    try {
      const st = fstatSync(this.fd);
      if (st.isFile()) this.fileSize = st.size;
      else if (st.isBlockDevice()) this.fileSize = deviceSize(this.fd);
      else throw new SpecialFileError(`not a regular file (it is ${kindOf(st)}); ptm reads regular files and block devices`);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    this.base = base;
    this.baseFrame = base / FRAME;
    this.frameCount = Math.floor(this.fileSize / FRAME);
    this.slots = Math.max(1, Math.min(cacheFrames, this.frameCount));
    this.words = new Uint32Array(this.slots * FRAME_WORDS);
    this.bytes = new Uint8Array(this.words.buffer);
    this.frameIn = new Float64Array(this.slots);
    this.prev = new Int32Array(this.slots);
    this.next = new Int32Array(this.slots);
    this.onRead = options.onRead;
  }

  /** PA just past the last backed byte. */
  get end(): number {
    return this.base + this.frameCount * FRAME;
  }

  /** Whether frame `frame` (PA / 4096) is backed by the file. */
  has(frame: number): boolean {
    const i = frame - this.baseFrame;
    return i >= 0 && i < this.frameCount;
  }

  /** {@inheritDoc @page-table/core!PhysMemory.frameWord} */
  frameWord(frame: number): number {
    if (frame === this.lastFrame) return this.lastWord;
    if (!this.has(frame) || this.fd < 0) return -1;
    let slot = this.slotOf.get(frame);
    if (slot === undefined) slot = this.load(frame);
    else this.touch(slot);
    this.lastFrame = frame;
    this.lastWord = slot * FRAME_WORDS;
    return this.lastWord;
  }

  /** The image is read-only: there are never frames to allocate. */
  allocFrames(_count: number, _align: number): PhysAddr | undefined {
    return undefined;
  }

  /** The image is read-only: nothing was allocated, so nothing can be freed. */
  deallocFrames(pa: PhysAddr, _count: number): void {
    throw new Error(`FileMemory is read-only: cannot free the frame at PA 0x${pa.toString(16)}`);
  }

  /** Closes the file; every frame reads as unbacked afterwards. */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    this.slotOf.clear();
    this.lastFrame = -1;
  }

  /** Reads `frame` into a free or the least recently used slot; returns the slot. */
  private load(frame: number): number {
    let slot: number;
    if (this.used < this.slots) {
      slot = this.used++;
    } else {
      slot = this.tail;
      this.unlink(slot);
      this.slotOf.delete(this.frameIn[slot]);
    }
    const at = slot * FRAME;
    const position = (frame - this.baseFrame) * FRAME;
    let got = 0;
    while (got < FRAME) {
      const n = readSync(this.fd, this.bytes, at + got, FRAME - got, position + got);
      if (n === 0) break;
      got += n;
    }
    // A file that shrank under us reads as zeros (unused entries), never as stale data.
    if (got < FRAME) this.bytes.fill(0, at + got, at + FRAME);
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

/** Opens `path` for reading without blocking; a socket (which `open` refuses with ENXIO) is a {@link SpecialFileError}. */
function openFile(path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    let st: Stats | undefined;
    try {
      st = statSync(path);
    } catch {
      throw e;
    }
    if (!st.isFile() && !st.isBlockDevice()) {
      throw new SpecialFileError(`not a regular file (it is ${kindOf(st)}); ptm reads regular files and block devices`);
    }
    throw e;
  }
}

/** The size of a block device (whose stat says 0): the end found by reading single bytes, doubling then halving. */
function deviceSize(fd: number): number {
  const one = new Uint8Array(1);
  const readable = (at: number) => readSync(fd, one, 0, 1, at) === 1;
  if (!readable(0)) return 0;
  let lo = 0; // readable
  let hi = 1;
  while (hi < Number.MAX_SAFE_INTEGER && readable(hi)) {
    lo = hi;
    hi = Math.min(hi * 2, Number.MAX_SAFE_INTEGER);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (readable(mid)) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}
