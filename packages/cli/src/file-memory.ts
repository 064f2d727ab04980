/**
 * `FileMemory`: a raw RAM image file as physical memory, read lazily through
 * `@page-table/dump`'s frame cache — the one-file, one-region case of what
 * `ptm` opens, for tools that want a raw image as a {@link PagingHandler}.
 *
 * @module
 */

import type { PagingHandler } from '@page-table/core';
import { FrameMemory, RegionFrames } from '@page-table/dump';
import type { PhysAddr } from '@page-table/memory-addr';
import { FileSource } from './file-source.js';

const FRAME = 4096;

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
 * A read-only {@link PagingHandler} over a raw RAM image file: frame `f` is
 * the 4 KiB at file offset `(f - base / 4096) * 4096`, read on first use
 * into a `FrameMemory` cache. A trailing partial frame is not backed.
 * Nothing is ever written: {@link allocFrames} has no frames to give and
 * {@link deallocFrames} throws.
 */
export class FileMemory implements PagingHandler {
  /** PA of the image's first byte. */
  readonly base: number;
  /** Bytes of the file. */
  readonly fileSize: number;
  /** Whole frames backed by the file. */
  readonly frameCount: number;
  private readonly file: FileSource;
  private readonly cache: FrameMemory;
  private readonly baseFrame: number;
  private closed = false;

  /** Opens `path` (throws the `fs` error, or a `SpecialFileError` for a FIFO, socket or device). */
  constructor(path: string, options: FileMemoryOptions = {}) {
    const base = options.base ?? 0;
    if (!Number.isSafeInteger(base) || base < 0 || base % FRAME !== 0) {
      throw new RangeError(`image base 0x${base.toString(16)} is not a 4 KiB aligned PA below 2^53`);
    }
    this.file = new FileSource(path);
    this.base = base;
    this.baseFrame = base / FRAME;
    this.fileSize = this.file.size;
    this.frameCount = Math.floor(this.fileSize / FRAME);
    const size = BigInt(this.frameCount * FRAME);
    const frames = new RegionFrames([
      { paddr: BigInt(base), size, source: this.file, offset: 0, stored: this.frameCount * FRAME },
    ]);
    this.cache = new FrameMemory(frames, { cacheFrames: options.cacheFrames, onRead: options.onRead });
  }

  /** The cache's words (see `FrameMemory.words`). */
  get words(): Uint32Array {
    return this.cache.words;
  }

  /** Frames read from the file so far (cache misses). */
  get framesRead(): number {
    return this.cache.framesRead;
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
    return this.closed ? -1 : this.cache.frameWord(frame);
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
    this.closed = true;
    this.file.close();
    this.cache.invalidate();
  }
}
