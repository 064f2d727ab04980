import { describe, expect, it } from 'vitest';
import { bytesSource, DumpError, detectFormat, openDump, openRawImages } from '../src/index.js';
import { limeImage, noise } from './build.js';

describe('LiME images', () => {
  it('reads each range at its physical address, holes unbacked', () => {
    const a = noise(0x2000, 1);
    const b = noise(0x1800, 2);
    const img = limeImage([
      { start: 0x1000n, data: a },
      { start: 0x100000n, data: b },
    ]);
    const src = bytesSource(img);
    expect(detectFormat(src)).toBe('lime');
    const d = openDump(src);
    expect(d.description).toBe('LiME image (2 ranges)');
    expect(d.regions).toEqual([
      { paddr: 0x1000n, size: 0x2000n, stored: 0x2000n },
      { paddr: 0x100000n, size: 0x1800n, stored: 0x1800n },
    ]);
    const out = new Uint8Array(4096);
    expect(d.frames.readFrame(0, out)).toBe(false);
    expect(d.frames.readFrame(2, out)).toBe(true);
    expect([...out]).toEqual([...a.subarray(0x1000)]);
    expect(d.frames.readFrame(0x101, out)).toBe(true);
    expect([...out.subarray(0, 0x800)]).toEqual([...b.subarray(0x1000)]);
    expect(out.subarray(0x800).every((x) => x === 0)).toBe(true);
  });

  it('says truncated, wrong magic and unknown version', () => {
    const img = limeImage([
      { start: 0n, data: noise(0x1000, 1) },
      { start: 0x2000n, data: noise(0x1000, 2) },
    ]);
    for (const l of [31, 32, 32 + 0xfff, 32 + 0x1000 + 5, img.length - 1]) {
      expect(() => openDump(bytesSource(img.subarray(0, l)), { format: 'lime' }), `cut ${l}`).toThrow(/^truncated: /);
    }
    const bad = img.slice();
    bad[32 + 0x1000] = 0;
    expect(() => openDump(bytesSource(bad))).toThrow(/LiME header 1 at 0x1020 has magic/);
    expect(() => openDump(bytesSource(limeImage([{ start: 0n, data: new Uint8Array(16) }], 2)))).toThrow(DumpError);
    const avml = img.slice();
    new DataView(avml.buffer).setUint32(0, 0x4c4d5641, true);
    expect(() => detectFormat(bytesSource(avml))).toThrow(/AVML/);
  });
});

describe('raw images', () => {
  it('detects raw when no magic matches, and places it at rawBase', () => {
    const data = noise(0x3000, 4);
    const src = bytesSource(data);
    expect(detectFormat(src)).toBe('raw');
    const d = openDump(src, { rawBase: 0x80000000n });
    expect(d.description).toBe('raw image (0x3000 bytes at PA 0x80000000)');
    const out = new Uint8Array(4096);
    expect(d.frames.readFrame(0x80002, out)).toBe(true);
    expect([...out]).toEqual([...data.subarray(0x2000)]);
    expect(d.frames.readFrame(0x80003, out)).toBe(false);
    expect(detectFormat(bytesSource(new Uint8Array(2)))).toBe('raw');
    expect(() => openDump(src, { rawBase: (1n << 64n) - 0x1000n })).toThrow(/64-bit/);
  });
});

describe('several raw images', () => {
  it('places each at its PA, the first listed winning where they overlap', () => {
    const a = new Uint8Array(0x2000).fill(1);
    const b = new Uint8Array(0x2000).fill(2);
    const d = openRawImages([
      { source: bytesSource(a), paddr: 0x10000n },
      { source: bytesSource(b), paddr: 0x11000n },
    ]);
    expect(d.description).toBe('2 raw images (0x2000 bytes at PA 0x10000, 0x2000 bytes at PA 0x11000)');
    const out = new Uint8Array(4096);
    expect(d.frames.readFrame(0x11, out) && out[0]).toBe(1);
    expect(d.frames.readFrame(0x12, out) && out[0]).toBe(2);
    expect(d.frames.readFrame(0x13, out)).toBe(false);
    expect(() => openRawImages([{ source: bytesSource(a), paddr: -1n }])).toThrow(DumpError);
  });

  it('backs a trailing partial frame unless wholeFrames is asked for', () => {
    const odd = bytesSource(new Uint8Array(0x1800).fill(3));
    const out = new Uint8Array(4096);
    const all = openRawImages([{ source: odd, paddr: 0x20000n }]);
    expect(all.regions).toEqual([{ paddr: 0x20000n, size: 0x1800n, stored: 0x1800n }]);
    expect(all.frames.readFrame(0x21, out) && [out[0], out[0x7ff], out[0x800]]).toEqual([3, 3, 0]);
    const whole = openRawImages([{ source: odd, paddr: 0x20000n }], { wholeFrames: true });
    expect(whole.regions).toEqual([{ paddr: 0x20000n, size: 0x1000n, stored: 0x1000n }]);
    expect(whole.frames.readFrame(0x20, out) && out[0]).toBe(3);
    expect(whole.frames.readFrame(0x21, out)).toBe(false);
  });
});
