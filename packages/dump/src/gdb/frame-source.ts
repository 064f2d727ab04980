/**
 * Frames of a live guest, fetched over the GDB remote protocol.
 *
 * @module
 */

import { FRAME_SIZE } from '../frame-source.js';
import { PrefetchFrameSource } from '../prefetch.js';
import { GdbError } from './gdb-error.js';
import type { GdbRemote } from './remote.js';

/**
 * A `PrefetchFrameSource` whose {@link fetch} reads frames from a stopped
 * guest with {@link GdbRemote.readPhysical}, consecutive frames in one run.
 * Frames the stub cannot read (`E NN`) are recorded as not backed. Use with
 * `walkWithFetch(src, (f) => src.fetch(f), walk)`.
 */
export class GdbFrameSource extends PrefetchFrameSource {
  /** Frames read from the stub so far. */
  framesFetched = 0;

  /** Frames of the guest behind `remote`; at most `maxRun` frames are read in one run (default 16). */
  constructor(remote: GdbRemote, maxRun = 16) {
    super();
    this.remote = remote;
    this.maxRun = maxRun;
  }

  /** The connection frames are read through. */
  readonly remote: GdbRemote;
  private readonly maxRun: number;

  /** Reads `frames` (frame numbers, PA / 4096) from the guest, skipping those already known. */
  async fetch(frames: readonly number[]): Promise<void> {
    const todo = [...new Set(frames)].filter((f) => !this.has(f)).sort((a, b) => a - b);
    let i = 0;
    while (i < todo.length) {
      let j = i + 1;
      while (j < todo.length && todo[j] === todo[j - 1] + 1 && j - i < this.maxRun) j++;
      await this.fetchRun(todo[i], j - i);
      i = j;
    }
  }

  private async fetchRun(first: number, count: number): Promise<void> {
    try {
      const bytes = await this.remote.readPhysical(BigInt(first) * BigInt(FRAME_SIZE), count * FRAME_SIZE);
      for (let k = 0; k < count; k++) this.provide(first + k, bytes.subarray(k * FRAME_SIZE, (k + 1) * FRAME_SIZE));
      this.framesFetched += count;
    } catch (e) {
      if (!(e instanceof GdbError) || (e.kind !== 'TargetError' && e.kind !== 'Protocol')) throw e;
      if (count === 1) {
        this.provide(first, null);
        return;
      }
      for (let k = 0; k < count; k++) await this.fetchRun(first + k, 1);
    }
  }
}
