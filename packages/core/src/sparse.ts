/**
 * `SparseRamHandler`: a physical address space of any size (up to the full
 * 64 bits) in which a frame takes host memory only once it is touched.
 *
 * @module
 */

import { type AddrLike, fromBigUnchecked, type PhysAddr, toAddrValue, toBigInt } from '@page-table/memory-addr';
import type { PagingHandler } from './handler.js';

/** Where a {@link SparseRamHandler}'s physical space sits and how much host memory it may take. */
export interface SparseRamOptions {
  /** PA of the first byte (4 KiB aligned). Default 0. */
  base?: AddrLike;
  /** Size of the physical space in bytes (a multiple of 4 KiB), up to 2^64 - base. */
  size: AddrLike;
  /** PA range the frame allocator hands out, `[start, end)`. Default: the whole space except PA 0. */
  allocRange?: readonly [AddrLike, AddrLike];
  /** Most frames that may be touched (host memory: 4 KiB each). Default 65536 (256 MiB). */
  maxFrames?: number;
}

const FRAME = 4096n;

/**
 * Physical memory for very large address spaces (a 52-bit or 56-bit PA
 * range, a guest with terabytes of "RAM"): frames live in one growing pool
 * and a frame gets a slot the first time it is written or allocated. Reads
 * never take a slot: {@link read64} of an untouched frame gives zero, and to
 * the walker ({@link frameWord}) an untouched frame is not backed, so links
 * in hostile tables to arbitrary frames are reported as such and cannot use
 * up the frame budget.
 *
 * The pool is a resizable `ArrayBuffer` seen through one length-tracking
 * `Uint32Array`, so {@link words} keeps its identity while the pool grows.
 * Frame allocation is a bump pointer with a free list: it never scans the
 * space, whatever its size.
 */
export class SparseRamHandler implements PagingHandler {
  /** PA of the first byte of the space. */
  readonly base: PhysAddr;
  /** Size of the space in bytes. */
  readonly size: number | bigint;
  /** All touched frames as 32-bit words (slot `s` holds words `1024 s .. 1024 s + 1023`). */
  readonly words: Uint32Array;
  private readonly buffer: ArrayBuffer;
  private readonly firstFrame: number;
  private readonly endFrame: number;
  private readonly slots = new Map<number, number>();
  private readonly allocated = new Set<number>();
  private readonly freeList: number[] = [];
  private readonly allocEnd: number;
  private next: number;

  constructor(options: SparseRamOptions) {
    const base = toBigInt(toAddrValue(options.base ?? 0, 'base'));
    const size = toBigInt(toAddrValue(options.size, 'size'));
    if (base % FRAME !== 0n || size % FRAME !== 0n || size === 0n) {
      throw new RangeError('SparseRamHandler: base and size must be 4 KiB aligned and size non-zero');
    }
    if (base + size > 1n << 64n) throw new RangeError('SparseRamHandler: the space must end at or below 2^64');
    this.base = fromBigUnchecked(base) as PhysAddr;
    this.size = fromBigUnchecked(size);
    this.firstFrame = Number(base / FRAME);
    this.endFrame = Number((base + size) / FRAME);
    const [lo, hi] = options.allocRange ?? [base, base + size];
    const start = toBigInt(toAddrValue(lo, 'allocRange start'));
    const end = toBigInt(toAddrValue(hi, 'allocRange end'));
    if (start % FRAME || end % FRAME || start < base || end > base + size || start > end) {
      throw new RangeError('allocRange must be 4 KiB aligned and inside the space');
    }
    this.next = Math.max(1, Number(start / FRAME));
    this.allocEnd = Number(end / FRAME);
    const maxFrames = options.maxFrames ?? 65536;
    if (!Number.isSafeInteger(maxFrames) || maxFrames < 1)
      throw new RangeError(`maxFrames ${maxFrames} is not a positive integer`);
    const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
    this.buffer = new Resizable(Math.min(64, maxFrames) * 4096, { maxByteLength: maxFrames * 4096 });
    this.words = new Uint32Array(this.buffer);
  }

  /** Frames that hold host memory (touched at least once). */
  get framesTouched(): number {
    return this.slots.size;
  }

  /** Frames currently allocated and not yet freed. */
  get framesInUse(): number {
    return this.allocated.size;
  }

  /**
   * Index in {@link words} of frame `frame`'s first word, or -1 when it holds
   * no host memory (outside the space, or never written nor allocated). A
   * read: it never allocates.
   */
  frameWord(frame: number): number {
    const slot = this.slots.get(frame);
    return slot === undefined ? -1 : slot * 1024;
  }

  /** {@inheritDoc PagingHandler.allocFrames} */
  allocFrames(count: number, align: number): PhysAddr | undefined {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`cannot allocate ${count} frames`);
    if (!(align >= 4096) || !Number.isInteger(Math.log2(align))) {
      throw new RangeError(`frame alignment ${align} is not a power of two >= 4096`);
    }
    let frame: number;
    if (count === 1 && this.freeList.length > 0) {
      frame = this.freeList.pop()!;
    } else {
      const alignFrames = align / 4096;
      const first = Math.ceil(this.next / alignFrames) * alignFrames;
      if (first + count > this.allocEnd || this.slots.size + count > this.capacity()) return undefined;
      frame = first;
      this.next = first + count;
    }
    for (let f = frame; f < frame + count; f++) {
      this.allocated.add(f);
      if (!this.slots.has(f)) this.touch(f);
    }
    return frameToPa(frame);
  }

  /** Releases frames from {@link allocFrames}; they keep their slots (and contents) for reuse. */
  deallocFrames(pa: PhysAddr, count: number): void {
    const frame = Number(toBigInt(pa) / FRAME);
    for (let f = frame; f < frame + count; f++) {
      if (!this.allocated.delete(f))
        throw new Error(`double free of frame at PA 0x${(BigInt(f) * FRAME).toString(16)}`);
      this.freeList.push(f);
    }
  }

  /** Reads the little-endian 64-bit value at `pa` (8-byte aligned, inside the space); an untouched frame reads as zero and stays untouched. */
  read64(pa: AddrLike): bigint {
    const w = this.wordOf(pa, false);
    return w < 0 ? 0n : (BigInt(this.words[w + 1]) << 32n) | BigInt(this.words[w]);
  }

  /** Writes a little-endian 64-bit value at `pa` (8-byte aligned, inside the space), touching its frame. */
  write64(pa: AddrLike, value: bigint): void {
    const w = this.wordOf(pa, true);
    this.words[w] = Number(value & 0xffff_ffffn);
    this.words[w + 1] = Number((value >> 32n) & 0xffff_ffffn);
  }

  /** Word index of `pa`; for an untouched frame a new slot (`touch`) or -1. */
  private wordOf(pa: AddrLike, touch: boolean): number {
    const a = toBigInt(toAddrValue(pa, 'pa'));
    if (a % 8n !== 0n) throw new RangeError(`PA 0x${a.toString(16)} is not 8-byte aligned`);
    const frame = Number(a / FRAME);
    if (!(frame >= this.firstFrame && frame < this.endFrame))
      throw new RangeError(`PA 0x${a.toString(16)} is outside the physical space`);
    let w = this.frameWord(frame);
    if (w < 0) {
      if (!touch) return -1;
      w = this.touch(frame) * 1024;
    }
    return w + Number((a % FRAME) / 4n);
  }

  private capacity(): number {
    return (this.buffer as unknown as { maxByteLength: number }).maxByteLength / 4096;
  }

  private touch(frame: number): number {
    const slot = this.slots.size;
    if (slot >= this.capacity())
      throw new RangeError(`SparseRamHandler: more than ${this.capacity()} frames touched (raise maxFrames)`);
    const needed = (slot + 1) * 4096;
    if (needed > this.buffer.byteLength) {
      const grow = Math.min(this.capacity() * 4096, Math.max(needed, this.buffer.byteLength * 2));
      (this.buffer as unknown as { resize(n: number): void }).resize(grow);
    }
    this.slots.set(frame, slot);
    return slot;
  }
}

function frameToPa(frame: number): PhysAddr {
  return fromBigUnchecked(BigInt(frame) * FRAME) as PhysAddr;
}
