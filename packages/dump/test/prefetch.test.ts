import { describe, expect, it } from 'vitest';
import { FrameMemory, PrefetchFrameSource, walkWithFetch } from '../src/index.js';

describe('walkWithFetch', () => {
  it('reruns a dependent chain of reads until nothing is missing, one pass per level', async () => {
    // A "table walk": frame 1 holds the next frame number at word 0, four levels deep.
    const chain = new Map([
      [1, 7],
      [7, 3],
      [3, 9],
      [9, 0],
    ]);
    const src = new PrefetchFrameSource();
    const mem = new FrameMemory(src);
    const fetched: number[][] = [];
    let passes = 0;
    const result = await walkWithFetch(
      src,
      async (frames) => {
        fetched.push(frames);
        for (const f of frames) {
          const next = chain.get(f);
          if (next === undefined) continue; // left unknown: recorded as unbacked
          const bytes = new Uint8Array(4096);
          new DataView(bytes.buffer).setUint32(0, next, true);
          src.provide(f, bytes);
        }
      },
      () => {
        passes++;
        const path: number[] = [];
        let f = 1;
        while (f !== 0) {
          const w = mem.frameWord(f);
          if (w < 0) return { path, stop: f };
          path.push(f);
          f = mem.words[w];
        }
        return { path, stop: 0 };
      },
    );
    expect(result).toEqual({ path: [1, 7, 3, 9], stop: 0 });
    expect(fetched).toEqual([[1], [7], [3], [9]]);
    expect(passes).toBe(5);
  });

  it('ends when the fetch cannot provide a frame: it is recorded as unbacked', async () => {
    const src = new PrefetchFrameSource();
    const mem = new FrameMemory(src);
    let passes = 0;
    const r = await walkWithFetch(
      src,
      async () => {},
      () => {
        passes++;
        return mem.frameWord(42);
      },
    );
    expect(r).toBe(-1);
    expect(passes).toBe(2);
    expect(src.has(42)).toBe(true);
    expect(() => src.provide(1, new Uint8Array(3))).toThrow(RangeError);
  });
});

describe('walkWithFetch and throwing passes', () => {
  it('retries a pass that threw after asking for a missing frame, and rethrows one that did not', async () => {
    const src = new PrefetchFrameSource();
    const mem = new FrameMemory(src);
    const r = await walkWithFetch(
      src,
      async (frames) => {
        for (const f of frames) src.provide(f, new Uint8Array(4096).fill(f));
      },
      () => {
        if (mem.frameWord(3) < 0) throw new Error('root not backed');
        return mem.words[mem.frameWord(3)];
      },
    );
    expect(r).toBe(0x03030303);
    await expect(
      walkWithFetch(
        src,
        async () => {},
        () => {
          throw new Error('a real bug');
        },
      ),
    ).rejects.toThrow('a real bug');
  });
});
