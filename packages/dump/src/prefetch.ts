/**
 * Frames fetched ahead: how a synchronous walk runs over memory that only
 * arrives asynchronously (a live gdbstub).
 *
 * @module
 */

import { FRAME_SIZE, type FrameSource } from './frame-source.js';

/**
 * A {@link FrameSource} that answers from frames fetched so far and records
 * every frame asked for but not yet known in {@link missing}. A walk over it
 * sees unknown frames as unbacked; {@link walkWithFetch} fetches them and
 * walks again. Fetched frames are kept for the life of the source (a walk
 * touches only its tables), frames known to be unbacked too.
 */
export class PrefetchFrameSource implements FrameSource {
  /** Frames asked for since the last {@link walkWithFetch} pass that are not known yet. */
  readonly missing = new Set<number>();
  private readonly known = new Map<number, Uint8Array | null>();

  /** {@inheritDoc FrameSource.readFrame} */
  readFrame(frame: number, into: Uint8Array): boolean {
    const bytes = this.known.get(frame);
    if (bytes === undefined) {
      this.missing.add(frame);
      return false;
    }
    if (bytes === null) return false;
    into.set(bytes);
    return true;
  }

  /** Whether `frame` was fetched (backed or not). */
  has(frame: number): boolean {
    return this.known.has(frame);
  }

  /** Records `frame`'s 4096 bytes (copied), or `null` when the peer does not back it. */
  provide(frame: number, bytes: Uint8Array | null): void {
    if (bytes !== null && bytes.length !== FRAME_SIZE)
      throw new RangeError(`a frame is ${FRAME_SIZE} bytes, got ${bytes.length}`);
    this.known.set(frame, bytes === null ? null : bytes.slice());
  }

  /** Forgets every fetched frame (the guest ran). */
  clear(): void {
    this.known.clear();
    this.missing.clear();
  }
}

/**
 * Runs `run` (a synchronous walk over a cache of `src`), fetches the frames it
 * found missing with `fetch`, and runs it again until no frame is missing; a
 * walk of L levels needs at most L + 1 passes. A pass that throws after
 * asking for missing frames (adopting a root that is not fetched yet) is
 * retried the same way; one that throws with nothing missing rethrows. Frames
 * `fetch` leaves unknown are recorded as unbacked, so every pass makes
 * progress and the loop ends.
 * A cache between `src` and the walk must not hold misses: `FrameMemory`
 * caches only backed frames.
 */
export async function walkWithFetch<T>(
  src: PrefetchFrameSource,
  fetch: (frames: number[]) => Promise<void>,
  run: () => T,
): Promise<T> {
  for (;;) {
    src.missing.clear();
    let result: T;
    try {
      result = run();
    } catch (e) {
      if (src.missing.size === 0) throw e;
      result = undefined as T;
    }
    if (src.missing.size === 0) return result;
    const frames = [...src.missing].sort((a, b) => a - b);
    await fetch(frames);
    for (const f of frames) if (!src.has(f)) src.provide(f, null);
  }
}
