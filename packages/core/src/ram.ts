/**
 * `RamHandler`: one contiguous physical RAM with a frame allocator — the
 * ready backend for page tables that live in an emulator's guest RAM.
 *
 * @module
 */

import { type AddrLike, type PhysAddr, toAddrValue, toNumber } from '@page-table/memory-addr';
import { FrameAllocator } from './frame-allocator.js';
import type { PagingHandler } from './handler.js';

/** Memory a {@link RamHandler} can wrap without copying. */
export type RamBuffer = ArrayBuffer | SharedArrayBuffer | WebAssembly.Memory;

/** Where a {@link RamHandler}'s RAM sits and what it may allocate. */
export interface RamOptions {
  /** PA of the first byte of RAM (4 KiB aligned, below 2^53). Default 0. */
  base?: AddrLike;
  /** RAM size in bytes (a multiple of 4 KiB). Default: the whole buffer; required without one. */
  size?: number;
  /** The caller's memory to use as RAM (shared, not copied). Default: a fresh zeroed ArrayBuffer. */
  buffer?: RamBuffer;
  /** PA range the frame allocator hands out, `[start, end)`, inside RAM. Default: all of RAM except PA 0. */
  allocRange?: readonly [AddrLike, AddrLike];
}

const FRAME = 4096;

/**
 * Physical RAM at `[base, base + size)`, read by the walker as 32-bit words,
 * with a frame allocator restricted to a sub-range if asked.
 *
 * A `WebAssembly.Memory` that grows is followed automatically: the next read
 * of {@link words} remakes the view. The host must be little-endian (every
 * platform Node and browsers run on is).
 */
export class RamHandler implements PagingHandler {
  /** PA of the first byte of RAM. */
  readonly base: PhysAddr;
  /** RAM size in bytes. */
  readonly size: number;
  private readonly baseFrame: number;
  private readonly frameCount: number;
  private readonly wasm: WebAssembly.Memory | undefined;
  private view: Uint32Array;
  private readonly allocator: FrameAllocator;

  constructor(options: RamOptions) {
    if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
      throw new Error('RamHandler needs a little-endian host');
    }
    const base = toNumber(toAddrValue(options.base ?? 0, 'RAM base'));
    if (base % FRAME !== 0) throw new RangeError(`RAM base 0x${base.toString(16)} is not 4 KiB aligned`);
    const buffer = options.buffer;
    this.wasm = isWasmMemory(buffer) ? buffer : undefined;
    const bytes = buffer === undefined ? undefined : byteLength(buffer);
    const size = options.size ?? bytes;
    if (size === undefined) throw new RangeError('RamHandler needs a size or a buffer');
    if (!Number.isSafeInteger(size) || size <= 0 || size % FRAME !== 0) {
      throw new RangeError(`RAM size ${size} is not a positive multiple of 4096`);
    }
    if (bytes !== undefined && size > bytes)
      throw new RangeError(`RAM size ${size} exceeds the buffer's ${bytes} bytes`);
    if (base + size > Number.MAX_SAFE_INTEGER) throw new RangeError('RAM must end below 2^53');
    this.base = base as PhysAddr;
    this.size = size;
    this.baseFrame = base / FRAME;
    this.frameCount = size / FRAME;
    this.view = this.makeView(buffer);
    const [lo, hi] = options.allocRange ?? [Math.max(base, FRAME), base + size];
    const start = toNumber(toAddrValue(lo, 'allocRange start'));
    const end = toNumber(toAddrValue(hi, 'allocRange end'));
    if (start % FRAME || end % FRAME || start < base || end > base + size || start > end) {
      throw new RangeError('allocRange must be 4 KiB aligned and inside RAM');
    }
    this.allocator = new FrameAllocator(Math.max(start, FRAME) / FRAME, end / FRAME);
  }

  /** All of RAM as 32-bit words (remade after a `WebAssembly.Memory` grew). */
  get words(): Uint32Array {
    const v = this.view;
    if (v.length === 0 && this.wasm !== undefined) return this.refresh();
    return v;
  }

  /** All of RAM as bytes: a view, not a copy (write it to a file to save an image). */
  get bytes(): Uint8Array {
    const w = this.words;
    return new Uint8Array(w.buffer, w.byteOffset, this.size);
  }

  /** Frames currently allocated and not yet freed. */
  get framesInUse(): number {
    return this.allocator.inUse;
  }

  /** {@inheritDoc PhysMemory.frameWord} */
  frameWord(frame: number): number {
    const i = frame - this.baseFrame;
    return i >= 0 && i < this.frameCount ? i * 1024 : -1;
  }

  /** {@inheritDoc PagingHandler.allocFrames} */
  allocFrames(count: number, align: number): PhysAddr | undefined {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`cannot allocate ${count} frames`);
    if (!(align >= FRAME) || !Number.isInteger(Math.log2(align))) {
      throw new RangeError(`frame alignment ${align} is not a power of two >= 4096`);
    }
    const frame = this.allocator.alloc(count, align / FRAME);
    return frame < 0 ? undefined : ((frame * FRAME) as PhysAddr);
  }

  /** {@inheritDoc PagingHandler.deallocFrames} */
  deallocFrames(pa: PhysAddr, count: number): void {
    const a = toNumber(pa);
    if (a % FRAME !== 0) throw new RangeError(`freeing unaligned frame 0x${a.toString(16)}`);
    this.allocator.free(a / FRAME, count);
  }

  /** {@inheritDoc PagingHandler.isAllocated} */
  isAllocated(pa: PhysAddr): boolean {
    const a = toNumber(pa);
    return a % FRAME === 0 && this.allocator.isAllocated(a / FRAME);
  }

  /** Reads the little-endian 64-bit value at `pa` (8-byte aligned, inside RAM). */
  read64(pa: AddrLike): bigint {
    const w = this.wordOf(pa);
    const words = this.words;
    return (BigInt(words[w + 1]) << 32n) | BigInt(words[w]);
  }

  /** Writes a little-endian 64-bit value at `pa` (8-byte aligned, inside RAM). */
  write64(pa: AddrLike, value: bigint): void {
    const w = this.wordOf(pa);
    const words = this.words;
    words[w] = Number(value & 0xffff_ffffn);
    words[w + 1] = Number((value >> 32n) & 0xffff_ffffn);
  }

  private wordOf(pa: AddrLike): number {
    const a = toNumber(toAddrValue(pa, 'pa'));
    const off = a - (this.base as number);
    if (off % 8 !== 0 || off < 0 || off >= this.size) {
      throw new RangeError(`PA 0x${a.toString(16)} is not an 8-byte aligned address inside RAM`);
    }
    return off / 4;
  }

  private refresh(): Uint32Array {
    this.view = this.makeView(this.wasm);
    return this.view;
  }

  private makeView(buffer: RamBuffer | undefined): Uint32Array {
    if (buffer === undefined) return new Uint32Array(this.size / 4);
    const raw = isWasmMemory(buffer) ? buffer.buffer : buffer;
    return new Uint32Array(raw, 0, this.size / 4);
  }
}

function isWasmMemory(b: RamBuffer | undefined): b is WebAssembly.Memory {
  return typeof WebAssembly !== 'undefined' && b instanceof WebAssembly.Memory;
}

function byteLength(b: RamBuffer): number {
  return isWasmMemory(b) ? b.buffer.byteLength : b.byteLength;
}
