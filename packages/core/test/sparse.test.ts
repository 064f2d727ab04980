import { describe, expect, it } from 'vitest';
import { MappingFlags as F, PageSize, PageTable64, SparseRamHandler } from '../src/index.js';
import { TOY4 } from './toy-arch.js';

const RW = F.READ | F.WRITE;

describe('SparseRamHandler', () => {
  it('holds tables anywhere in a 52-bit physical space, touching only what it uses', () => {
    const top = 1n << 52n;
    const ram = new SparseRamHandler({ size: top, allocRange: [top - (1n << 30n), top] });
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    expect(BigInt(pt.rootPaddr)).toBe(top - (1n << 30n));
    pt.map(0xffff_8000_0000_0000n, 0xf_ffff_ffff_f000, PageSize.Size4K, RW);
    pt.mapRegion(0x4000_0000, 0x8000_0000, 0x40_0000, RW, false);
    expect(pt.query(0xffff_8000_0000_0123n)).toEqual({ paddr: 0xf_ffff_ffff_f123, flags: RW, size: PageSize.Size4K });
    expect(pt.queryPa(0x403f_f008)).toBe(0x803f_f008);
    expect(ram.framesInUse).toBe(1 + 3 + 2 + 2);
    expect(ram.framesTouched).toBe(ram.framesInUse);
    pt.destroy();
    expect(ram.framesInUse).toBe(0);
  });

  it('reads untouched frames as zero and keeps words stable while growing', () => {
    const ram = new SparseRamHandler({ base: 0x1000_0000_0000n, size: 1n << 40n, maxFrames: 300 });
    const words = ram.words;
    expect(ram.read64(0x1000_0000_0008n)).toBe(0n);
    ram.write64(0x1000_0000_1000n + 0x18n, 0x1234_5678_9abc_def0n);
    for (let i = 0; i < 200; i++) ram.write64(0x1000_0010_0000n + BigInt(i) * 4096n, BigInt(i));
    expect(ram.words).toBe(words);
    expect(ram.read64(0x1000_0000_1018n)).toBe(0x1234_5678_9abc_def0n);
    expect(ram.read64(0x1000_0010_0000n + 199n * 4096n)).toBe(199n);
    expect(ram.frameWord(0)).toBe(-1);
    expect(() => ram.read64(0x2000_0000_0000n)).toThrow(/outside/);
    // Reads take no slot: only the 201 written frames hold memory, whatever is read.
    for (let i = 0; i < 1000; i++) expect(ram.read64(0x1000_1000_0000n + BigInt(i) * 4096n)).toBe(0n);
    expect(ram.framesTouched).toBe(201);
    for (let i = 0; i < 99; i++) ram.write64(0x1000_2000_0000n + BigInt(i) * 4096n, 1n);
    expect(() => ram.write64(0x1000_3000_0000n, 1n)).toThrow(/maxFrames/);
  });

  it('gives hostile links nothing: walks report them as not backed and never use up the frame budget', () => {
    const ram = new SparseRamHandler({ size: 1n << 48n, maxFrames: 8 });
    const pt = new PageTable64(TOY4, ram, PageTable64.allocRoot(ram), true);
    pt.map(0x1000, 0x5000, PageSize.Size4K, RW);
    const root = Number(pt.rootPaddr);
    // 508 root entries linking to distinct frames that were never written.
    for (let i = 4; i < 512; i++) ram.write64(root + i * 8, BigInt(0x10_0000_0000 + i * 4096) | 7n);
    const touched = ram.framesTouched;
    for (let r = 0; r < 3; r++) {
      expect([...pt.mappings()].map((m) => m.va)).toEqual([0x1000]);
      let outside = 0;
      pt.walk((e) => {
        if (e.outside) outside++;
      });
      expect(outside).toBe(508);
      expect(pt.aliases()).toEqual([]);
    }
    expect(ram.framesTouched).toBe(touched);
    expect(pt.query(0x1000)?.paddr).toBe(0x5000);
    expect(() => pt.query(0xffff_8000_0000_0000n)).toThrow(/outside physical memory/);
    expect(ram.frameWord(0x10_0000)).toBe(-1);
  });

  it('allocates aligned runs, reuses freed frames and refuses double frees', () => {
    const ram = new SparseRamHandler({ size: 1n << 48n });
    const a = ram.allocFrames(1, 4096)!;
    const run = ram.allocFrames(4, 0x4000)!;
    expect(Number(run) % 0x4000).toBe(0);
    expect(ram.framesInUse).toBe(5);
    ram.deallocFrames(a, 1);
    expect(ram.allocFrames(1, 4096)).toBe(a);
    ram.deallocFrames(a, 1);
    expect(() => ram.deallocFrames(a, 1)).toThrow(/double free/);
    expect(new SparseRamHandler({ size: 0x3000, maxFrames: 2 }).allocFrames(2, 4096)).toBe(0x1000);
    expect(new SparseRamHandler({ size: 0x3000 }).allocFrames(3, 4096)).toBeUndefined();
  });
});
