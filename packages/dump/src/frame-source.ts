/**
 * Physical memory as 4 KiB frames: what the walker's backends read.
 *
 * @module
 */

/** Bytes in a frame: the smallest page of every architecture here, and the unit of every frame cache. */
export const FRAME_SIZE = 4096;

/**
 * Physical memory by frame number (PA >>> 12, a number below 2^52). Dump
 * readers, region lists and live connections all implement it, so one
 * `FrameMemory` cache serves them all.
 */
export interface FrameSource {
  /**
   * Fills `into` (4096 bytes) with frame `frame` and returns true, or returns
   * false when no byte of that frame is backed (`into` is then unspecified).
   */
  readFrame(frame: number, into: Uint8Array): boolean;
}
