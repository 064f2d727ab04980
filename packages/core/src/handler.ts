/**
 * The contracts between a page table and the physical memory it lives in.
 *
 * @module
 */

import type { PhysAddr } from '@page-table/memory-addr';

/**
 * Physical memory as the walker reads it: 32-bit little-endian words.
 *
 * Tables are read through one `Uint32Array` so a walk costs two loads per
 * level and allocates nothing. A backend may replace `words` (it grew, or a
 * `WebAssembly.Memory` was grown): readers fetch `words` again after any call
 * that can allocate.
 */
export interface PhysMemory {
  /** All backed memory as 32-bit words (entry `i` of a table = words `2i`, `2i+1` from its frame's first word). */
  readonly words: Uint32Array;
  /**
   * Index in {@link words} of the first word of frame `frame` (PA / 4096), or
   * -1 if that frame is not backed. The index stays valid until the next
   * `frameWord` or `allocFrames` call (a caching backend may reuse slots).
   */
  frameWord(frame: number): number;
}

/**
 * Frames for page tables: allocation, release and the memory that holds them.
 * Upstream's `PagingHandler` with `phys_to_virt` replaced by {@link PhysMemory}.
 */
export interface PagingHandler extends PhysMemory {
  /**
   * Allocates `count` contiguous frames whose first PA is a multiple of
   * `align` bytes (a power of two, at least 4096). Returns `undefined` when
   * out of memory. Frames need not be zeroed: the walker clears its tables.
   */
  allocFrames(count: number, align: number): PhysAddr | undefined;
  /** Releases frames from {@link allocFrames}. */
  deallocFrames(pa: PhysAddr, count: number): void;
  /**
   * Whether the frame at `pa` is currently allocated by {@link allocFrames}.
   * Optional: when present, `destroy()` and `copyFrom` check every table
   * frame of an adopted tree before freeing any, so a foreign frame is a
   * typed error instead of a half-done free.
   */
  isAllocated?(pa: PhysAddr): boolean;
}
