import { describe, expect, it } from 'vitest';
import { MappingFlags as F, FrameAllocator, PageSize, PageTable64, RamHandler } from '../src/index.js';
import { TOY4 } from './toy-arch.js';

describe('RamHandler', () => {
  it('shares a caller SharedArrayBuffer: the tables are visible in it byte for byte', () => {
    const shared = new SharedArrayBuffer(1 << 20);
    const ram = new RamHandler({ base: 0x8000_0000, buffer: shared });
    expect(ram.size).toBe(1 << 20);
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    pt.map(0x1000, 0x5000, PageSize.Size4K, F.READ);
    const root = (pt.rootPaddr as number) - 0x8000_0000;
    const view = new DataView(shared);
    expect(view.getUint32(root, true) & 1).toBe(1); // entry 0 of the root: a present table link
    expect(ram.read64(pt.rootPaddr)).toBe(
      BigInt(view.getUint32(root, true)) | (BigInt(view.getUint32(root + 4, true)) << 32n),
    );
    expect(ram.bytes.buffer).toBe(shared);
  });

  it('follows a WebAssembly.Memory that grows', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 8 });
    const ram = new RamHandler({ base: 0, buffer: memory, size: 2 * 65536 });
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    pt.map(0x1000, 0x5000, PageSize.Size4K, F.READ);
    memory.grow(1); // detaches the old buffer
    expect(pt.query(0x1000)?.paddr).toBe(0x5000);
    pt.map(0x2000, 0x6000, PageSize.Size4K, F.READ);
    expect(new Uint32Array(memory.buffer)[ram.frameWord(0)]).toBe(0);
    expect(pt.query(0x2000)?.paddr).toBe(0x6000);
  });

  it('allocates only inside allocRange, never PA 0, and rejects bad configurations', () => {
    const ram = new RamHandler({ base: 0, size: 0x10_0000, allocRange: [0, 0x3000] });
    expect(ram.allocFrames(1, 4096)).toBe(0x1000);
    expect(ram.allocFrames(1, 4096)).toBe(0x2000);
    expect(ram.allocFrames(1, 4096)).toBeUndefined();
    expect(ram.framesInUse).toBe(2);
    expect(() => ram.deallocFrames(0x5000 as never, 1)).toThrow(/not allocated/);
    ram.deallocFrames(0x1000 as never, 1);
    expect(() => ram.deallocFrames(0x1000 as never, 1)).toThrow(/double free/);
    expect(() => new RamHandler({ base: 0x800, size: 4096 })).toThrow(/aligned/);
    expect(() => new RamHandler({ base: 0, size: 5000 })).toThrow(/multiple of 4096/);
    expect(() => new RamHandler({ base: 0 })).toThrow(/size or a buffer/);
    expect(() => new RamHandler({ base: 0, size: 0x2000, allocRange: [0, 0x3000] })).toThrow(/inside RAM/);
    expect(() => ram.allocFrames(1, 3000)).toThrow(/power of two/);
  });
});

describe('FrameAllocator', () => {
  it('finds aligned contiguous runs, wrapping around, and O(1) for bursts', () => {
    const a = new FrameAllocator(1, 17);
    expect(a.alloc(4, 4)).toBe(4);
    expect(a.alloc(1, 1)).toBe(8);
    expect(a.alloc(8, 8)).toBe(-1); // 16 would need frames 16..23
    expect(a.alloc(2, 1)).toBe(9);
    a.free(4, 4);
    expect(a.alloc(3, 1)).toBe(11);
    expect(a.alloc(4, 4)).toBe(4); // wraps around to the freed run
    expect(a.inUse).toBe(10);
  });
});

describe('SoftTlb', () => {
  it('drops every cached page of a leaf by any VA inside it, including leaves wider than 4 GiB', async () => {
    const { SoftTlb } = await import('../src/index.js');
    const tlb = new SoftTlb(64);
    tlb.insert(0x1, 0x0020_0000, 1, false, 0x100, 1, 7); // a page of a 2 MiB leaf
    tlb.insert(0x80, 0x1234_5000, 2, false, 0x200, 3, 7); // a page of a 512 GiB leaf (VA 0x80_1234_5000)
    tlb.insert(0x2, 0x5000, 3, true, 0x300, 0, 7); // a global 4 KiB page
    expect(tlb.lookup(0x1, 0x0020_0abc, 1)).toBeGreaterThanOrEqual(0);
    tlb.flushVa(0x1, 0x003f_f000); // same 2 MiB leaf, another page
    expect(tlb.lookup(0x1, 0x0020_0000, 1)).toBe(-1);
    tlb.flushVa(0xff, 0); // same 512 GiB leaf (0x80..0xff), another high word
    expect(tlb.lookup(0x80, 0x1234_5000, 2)).toBe(-1);
    tlb.flushNonGlobal();
    expect(tlb.lookup(0x2, 0x5000, 9)).toBeGreaterThanOrEqual(0); // global: any ASID, kept
    tlb.flushVa(0x2, 0x5000, 3, false);
    expect(tlb.lookup(0x2, 0x5000, 3)).toBeGreaterThanOrEqual(0);
    tlb.flushVa(0x2, 0x5000);
    expect(tlb.lookup(0x2, 0x5000, 3)).toBe(-1);
    expect([tlb.hits, tlb.misses]).toEqual([3, 3]);
  });
});
