/**
 * The pieces in-process: the file-backed memory, the entry-by-entry walk
 * against the walker's own `query`, numbers, and colour rules.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X64PageTable } from '@page-table/arch-x86_64';
import { MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { pa } from '@page-table/memory-addr';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../src/demo-layout.js';
import { FileMemory } from '../src/file-memory.js';
import { MODES, resolveMode } from '../src/modes.js';
import { formatBytes, formatBytesApprox, parseU64 } from '../src/numbers.js';
import { stripAnsi } from '../src/style.js';
import { translateVa } from '../src/translate.js';
import { ptmIn, ptmInJson, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** An image of `frames` frames whose frame i is filled with the word i + 1. */
function numbered(frames: number, extra = 0): string {
  const file = join(tmp.dir, `numbered-${frames}-${extra}.img`);
  const words = new Uint32Array(frames * 1024 + Math.ceil(extra / 4));
  for (let i = 0; i < frames; i++) words.fill(i + 1, i * 1024, (i + 1) * 1024);
  writeFileSync(file, new Uint8Array(words.buffer, 0, frames * 4096 + extra));
  return file;
}

describe('FileMemory', () => {
  it('reads frames lazily at their PA and evicts the least recently used', () => {
    const mem = new FileMemory(numbered(8), { base: 0x8000_0000, cacheFrames: 2 });
    const base = 0x8000_0000 / 4096;
    const read = (f: number) => mem.words[mem.frameWord(base + f)];
    expect(mem.frameCount).toBe(8);
    expect(read(0)).toBe(1);
    expect(read(1)).toBe(2);
    expect(read(0)).toBe(1); // a hit: frame 0 is now the most recent
    expect(read(2)).toBe(3); // evicts frame 1, not frame 0
    expect(mem.framesRead).toBe(3);
    expect(read(0)).toBe(1);
    expect(mem.framesRead).toBe(3);
    expect(read(1)).toBe(2); // evicts frame 2
    expect(mem.framesRead).toBe(4);
    expect(read(7)).toBe(8);
    mem.close();
  });

  it('backs whole frames of the file only, and is read-only', () => {
    const mem = new FileMemory(numbered(2, 100), { base: 0x1000 });
    expect(mem.frameWord(0)).toBe(-1);
    expect(mem.frameWord(1)).toBeGreaterThanOrEqual(0);
    expect(mem.frameWord(2)).toBeGreaterThanOrEqual(0);
    expect(mem.frameWord(3)).toBe(-1); // the partial frame
    expect(mem.frameWord(2 ** 40)).toBe(-1);
    expect(mem.end).toBe(0x3000);
    expect(mem.allocFrames(1, 4096)).toBeUndefined();
    expect(() => mem.deallocFrames(pa(0x1000), 1)).toThrow(/read-only/);
    mem.close();
    expect(mem.frameWord(1)).toBe(-1);
  });

  it('lets the walker adopt tables from a file with a one-frame cache', () => {
    const demo = buildDemo(resolveMode('x86_64'));
    const file = join(tmp.dir, 'x86.img');
    writeFileSync(file, demo.ram.bytes);
    const mem = new FileMemory(file, { cacheFrames: 1 });
    const pt = X64PageTable.fromRoot(mem, demo.tables[0].pt.rootPaddr);
    expect([...pt.mappings()]).toEqual([...demo.tables[0].pt.mappings()]);
    expect(pt.query(0xffff_ffff_8000_1234n)).toEqual(demo.tables[0].pt.query(0xffff_ffff_8000_1234n));
    expect(() => pt.map(0x4000_0000_0000, 0x1000, PageSize.Size4K, MappingFlags.READ)).toThrow(/NoMemory/);
    mem.close();
  });
});

describe('dump', () => {
  it('never merges a run across the non-canonical hole between the halves', () => {
    const ram = new RamHandler({ size: 0x10_0000 });
    const pt = X64PageTable.create(ram);
    pt.map(0x7fff_ffff_f000, 0x1000, PageSize.Size4K, MappingFlags.READ);
    pt.map(0xffff_8000_0000_0000n, 0x2000, PageSize.Size4K, MappingFlags.READ);
    const file = join(tmp.dir, 'hole.img');
    writeFileSync(file, ram.bytes);
    const d = ptmInJson(['dump', '--arch', 'x86_64', '--image', file, '--root', `0x${pt.rootPaddr.toString(16)}`]);
    expect(d.mappings.map((m: { va: string; size: string }) => [m.va, m.size])).toEqual([
      ['0x7ffffffff000', '0x1000'],
      ['0xffff800000000000', '0x1000'],
    ]);
  });
});

describe('translateVa', () => {
  it('agrees with the walker on mapped, unmapped and non-canonical VAs of every mode', () => {
    let seed = 12345;
    const rand32 = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (const mode of MODES) {
      const demo = buildDemo(mode);
      for (const t of demo.tables) {
        const root = BigInt(t.pt.rootPaddr);
        const starts = [...t.pt.mappings()].map((m) => BigInt(m.va) | (t.upper ? 0xffff_0000_0000_0000n : 0n));
        const vas = [...starts, ...starts.map((v) => v + 0xfffn), ...t.probes.map((p) => p.va)];
        for (let i = 0; i < 200; i++) vas.push((BigInt(rand32()) << 32n) | BigInt(rand32()));
        for (const va of vas) {
          const mine = translateVa(mode, demo.ram, root, va);
          let theirs: ReturnType<typeof t.pt.query> | 'throws';
          try {
            theirs = t.pt.query(va);
          } catch {
            theirs = 'throws'; // not canonical
          }
          if (theirs === 'throws') {
            expect(mine.stop?.reason).toBe('non-canonical');
          } else if (theirs === undefined) {
            expect(mine.result).toBeUndefined();
            expect(mine.stop?.reason).toBe('not-present');
          } else {
            expect(mine.result).toEqual({
              pa: BigInt(theirs.paddr),
              flags: theirs.flags,
              pageSize: theirs.size,
              level: mine.steps.at(-1)?.level,
            });
          }
        }
      }
    }
  });
});

describe('numbers', () => {
  it('parses hex and decimal with separators, and rejects the rest', () => {
    expect(parseU64('0x8020_0000', 'x')).toBe(0x8020_0000n);
    expect(parseU64('0XFFFF_FFFF_FFFF_FFFF', 'x')).toBe(0xffff_ffff_ffff_ffffn);
    expect(parseU64('2149580800', 'x')).toBe(0x8020_0000n);
    for (const bad of ['', '-1', '0x', '1.5', '0x1__0', '_1', 'ten', '0b101', '0x1_0000_0000_0000_0000']) {
      expect(() => parseU64(bad, 'x')).toThrow();
    }
  });

  it('formats byte counts exactly, or approximately for people', () => {
    expect(formatBytes(0x4000_0000)).toBe('1 GiB');
    expect(formatBytes(0x30_1000)).toBe('3076 KiB');
    expect(formatBytes(100)).toBe('100 B');
    expect(formatBytesApprox(0x4020_0000n)).toBe('1026 MiB');
    expect(formatBytesApprox(0x8412_f000n)).toBe('2.06 GiB');
    expect(formatBytesApprox(0)).toBe('0');
  });
});

describe('colour', () => {
  it('colours a terminal, unless NO_COLOR is set; pipes stay plain', () => {
    const tty = ptmIn(['demo', '--arch', 'riscv-sv39'], { tty: true });
    expect(tty.stdout).toContain('\x1b[');
    expect(ptmIn(['demo', '--arch', 'riscv-sv39'], { tty: true, env: { NO_COLOR: '1' } }).stdout).not.toContain(
      '\x1b[',
    );
    const plain = ptmIn(['demo', '--arch', 'riscv-sv39']);
    expect(plain.stdout).not.toContain('\x1b[');
    expect(stripAnsi(tty.stdout)).toBe(plain.stdout);
  });

  it('keeps JSON plain on a terminal', () => {
    const r = ptmIn(['demo', '--arch', 'aarch64', '--json'], { tty: true });
    expect(r.stdout).not.toContain('\x1b[');
    expect(JSON.parse(r.stdout).modes[0].mode).toBe('aarch64');
  });
});
