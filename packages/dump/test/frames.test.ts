import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesSource,
  DumpError,
  FrameMemory,
  type FrameSource,
  type MemoryRegion,
  RegionFrames,
} from '../src/index.js';

const F = 4096;

/** The plain model: a byte array over a small PA space, with a "backed" flag per frame. */
function model(space: number, regions: { paddr: number; size: number; stored: number; data: Uint8Array }[]) {
  const bytes = new Uint8Array(space);
  const owner = new Int32Array(space).fill(-1); // -1 none; priority value otherwise
  const backed = new Uint8Array(space / F);
  const n = regions.length;
  regions.forEach((r, i) => {
    for (let b = 0; b < r.size; b++) {
      const pa = r.paddr + b;
      const prio = b < r.stored ? i : n + i;
      if (owner[pa] === -1 || prio < owner[pa]) {
        owner[pa] = prio;
        bytes[pa] = b < r.stored ? r.data[b] : 0;
      }
      backed[Math.floor(pa / F)] = 1;
    }
  });
  return { bytes, backed };
}

describe('RegionFrames', () => {
  it('reads stored bytes, zero tails and holes; unbacked frames say so', () => {
    const data = new Uint8Array(3 * F).map((_, i) => (i * 7 + 3) & 0xff);
    const src = bytesSource(data);
    const rf = new RegionFrames([
      { paddr: 0x1000n, size: 0x2000n, source: src, offset: 0, stored: 0x1800 },
      { paddr: 0x10000n, size: 0x1000n, source: src, offset: 0x2000, stored: 0x1000 },
    ]);
    const out = new Uint8Array(F);
    expect(rf.readFrame(0, out)).toBe(false);
    expect(rf.readFrame(1, out)).toBe(true);
    expect([...out]).toEqual([...data.subarray(0, F)]);
    expect(rf.readFrame(2, out)).toBe(true);
    expect([...out.subarray(0, 0x800)]).toEqual([...data.subarray(F, F + 0x800)]);
    expect(out.subarray(0x800).every((b) => b === 0)).toBe(true);
    expect(rf.readFrame(3, out)).toBe(false);
    expect(rf.readFrame(0x10, out)).toBe(true);
    expect([...out]).toEqual([...data.subarray(0x2000, 0x3000)]);
  });

  it('holds a region at the very top of the 64-bit physical space', () => {
    const data = new Uint8Array(F).fill(0xab);
    const rf = new RegionFrames([
      { paddr: (1n << 64n) - 0x1000n, size: 0x1000n, source: bytesSource(data), offset: 0, stored: F },
    ]);
    const out = new Uint8Array(F);
    expect(rf.readFrame(2 ** 52 - 1, out)).toBe(true);
    expect(out[4095]).toBe(0xab);
    expect(rf.readFrame(2 ** 52 - 2, out)).toBe(false);
  });

  it('refuses impossible regions with a typed error', () => {
    const src = bytesSource(new Uint8Array(16));
    const bad = (r: Partial<MemoryRegion>) => () =>
      new RegionFrames([{ paddr: 0n, size: 16n, source: src, offset: 0, stored: 16, ...r }]);
    expect(bad({ stored: 17 })).toThrow(DumpError);
    expect(bad({ offset: 8 })).toThrow(/truncated/);
    expect(bad({ paddr: (1n << 64n) - 8n })).toThrow(/64-bit/);
  });

  it('matches a plain byte-array model for any overlapping, unaligned regions', () => {
    const space = 16 * F;
    const region = fc
      .record({
        paddr: fc.integer({ min: 0, max: space - 1 }),
        size: fc.integer({ min: 0, max: 3 * F }),
        storedFrac: fc.double({ min: 0, max: 1, noNaN: true }),
        seed: fc.integer({ min: 0, max: 255 }),
      })
      .map((r) => {
        const size = Math.min(r.size, space - r.paddr);
        const stored = Math.floor(size * r.storedFrac);
        const data = new Uint8Array(stored).map((_, i) => (r.seed + i * 13) & 0xff);
        return { paddr: r.paddr, size, stored, data };
      });
    fc.assert(
      fc.property(fc.array(region, { maxLength: 6 }), (regions) => {
        const file = new Uint8Array(regions.reduce((n, r) => n + r.stored, 0) + 5);
        let at = 5;
        const mrs: MemoryRegion[] = regions.map((r) => {
          file.set(r.data, at);
          const m = {
            paddr: BigInt(r.paddr),
            size: BigInt(r.size),
            source: bytesSource(file),
            offset: at,
            stored: r.stored,
          };
          at += r.stored;
          return m;
        });
        const rf = new RegionFrames(mrs);
        const m = model(space, regions);
        const out = new Uint8Array(F);
        for (let f = 0; f < space / F; f++) {
          const got = rf.readFrame(f, out);
          expect(got).toBe(m.backed[f] === 1);
          if (got) expect(Buffer.from(out).equals(Buffer.from(m.bytes.subarray(f * F, (f + 1) * F)))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** A source whose every frame is a pattern of its number; frames >= limit are unbacked. Counts reads. */
function patternSource(limit: number): FrameSource & { reads: number } {
  return {
    reads: 0,
    readFrame(frame, into) {
      this.reads++;
      if (frame >= limit) return false;
      const w = new Uint32Array(into.buffer, into.byteOffset, 1024);
      for (let i = 0; i < 1024; i++) w[i] = (frame * 2654435761 + i) >>> 0;
      return true;
    },
  };
}

describe('FrameMemory', () => {
  it('implements the read-only PagingHandler contract', () => {
    const mem = new FrameMemory(patternSource(4), { cacheFrames: 2 });
    expect(mem.allocFrames(1, 4096)).toBeUndefined();
    expect(() => mem.deallocFrames(0x1000 as never, 1)).toThrow(/read-only/);
    expect(mem.frameWord(4)).toBe(-1);
    expect(mem.frameWord(-1)).toBe(-1);
    expect(mem.frameWord(2 ** 52)).toBe(-1);
    expect(() => new FrameMemory(patternSource(1), { cacheFrames: 0 })).toThrow(RangeError);
  });

  it('answers like uncached reads for any access sequence, reading each frame once while it stays cached', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }),
        (cache, seq) => {
          const src = patternSource(16);
          const mem = new FrameMemory(src, { cacheFrames: cache });
          const plain = patternSource(16);
          const want = new Uint8Array(F);
          const lru: number[] = [];
          let misses = 0;
          for (const f of seq) {
            const w = mem.frameWord(f);
            const backed = plain.readFrame(f, want);
            expect(w >= 0).toBe(backed);
            if (!backed) continue;
            const got = new Uint8Array(mem.words.buffer, w * 4, F);
            expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
            const k = lru.indexOf(f);
            if (k >= 0) lru.splice(k, 1);
            else {
              misses++;
              if (lru.length === cache) lru.pop();
            }
            lru.unshift(f);
          }
          expect(mem.framesRead).toBe(misses);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never caches an unbacked frame and reports progress', () => {
    const src = patternSource(1);
    const seen: number[] = [];
    const mem = new FrameMemory(src, { onRead: (n) => seen.push(n) });
    mem.frameWord(5);
    mem.frameWord(5);
    expect(src.reads).toBe(2);
    mem.frameWord(0);
    mem.frameWord(0);
    expect(seen).toEqual([1]);
    mem.invalidate();
    mem.frameWord(0);
    expect(seen).toEqual([1, 2]);
  });
});
