/**
 * Reads the real-guest fixtures of packages/dump/test/fixtures (see its README): a small ELF core
 * holding the page-table frames of a Debian guest stopped under QEMU 7.2, and QEMU's own answers
 * (`info tlb`, `info mem`, `gva2gpa`) captured at the same stop.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { PagingHandler } from '@page-table/core';
import { bytesSource, FrameMemory, type OpenedDump, openDump } from '@page-table/dump';

/** The fixtures directory. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dump', 'test', 'fixtures');

/** One capture: its directory name and files. */
export interface Capture {
  name: string;
  dir: string;
  /** The small ELF core, decompressed. */
  core: Uint8Array;
  /** What minimize.mjs recorded: the roots it walked and the original core's shape. */
  minimized: { tableFrames: number; roots: { what: string; root: string }[] };
  /** QEMU's `gva2gpa` answers: PA or null for "Unmapped". */
  samples: { va: string; pa: string | null }[];
}

/** Every capture directory (those holding core.elf.gz), sorted. */
export function captures(prefix: string): Capture[] {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES)
    .filter((n) => n.startsWith(prefix) && existsSync(join(FIXTURES, n, 'core.elf.gz')))
    .sort()
    .map((name) => {
      const dir = join(FIXTURES, name);
      return {
        name,
        dir,
        core: new Uint8Array(gunzipSync(readFileSync(join(dir, 'core.elf.gz')))),
        minimized: JSON.parse(readFileSync(join(dir, 'minimized.json'), 'utf8')),
        samples: JSON.parse(readFileSync(join(dir, 'gva2gpa.json'), 'utf8')),
      };
    });
}

/** The capture's small kdump core (QEMU's flattened `-z` stream reduced to the table pages), decompressed. */
export function kdumpOf(c: Capture): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(join(c.dir, 'core.kdump.gz'))));
}

/** A text answer of QEMU in the capture (`name`, or `name.gz`). */
export function answer(c: Capture, name: string): string {
  const plain = join(c.dir, name);
  if (existsSync(plain)) return readFileSync(plain, 'utf8');
  return gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
}

/** One page of x86 `info tlb`: its own leaf bits as QEMU prints them. */
export interface TlbPage {
  pa: bigint;
  nx: boolean;
  user: boolean;
  write: boolean;
  /** The P column: a 2 MiB or 1 GiB leaf. */
  large: boolean;
}

/** Parses x86 `info tlb` (`VA: PA XGPDACTUW`) into a map by VA. */
export function parseInfoTlb(text: string): Map<bigint, TlbPage> {
  const out = new Map<bigint, TlbPage>();
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const m = /^([0-9a-f]{16}): ([0-9a-f]{16}) ([X-])[G-]([P-])[D-][A-][C-][T-]([U-])([W-])$/.exec(line);
    if (!m) throw new Error(`unexpected info tlb line: ${line}`);
    const va = BigInt(`0x${m[1]}`);
    if (out.has(va)) throw new Error(`info tlb lists ${m[1]} twice`);
    out.set(va, {
      pa: BigInt(`0x${m[2]}`),
      nx: m[3] === 'X',
      large: m[4] === 'P',
      user: m[5] === 'U',
      write: m[6] === 'W',
    });
  }
  return out;
}

/** One range of x86 `info mem`: VAs with equal combined U/W (QEMU ANDs U and W over every level). */
export interface MemRange {
  start: bigint;
  end: bigint;
  user: boolean;
  write: boolean;
}

/** Parses x86 `info mem` (`start-end size urw`). */
export function parseInfoMem(text: string): MemRange[] {
  const out: MemRange[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const m = /^([0-9a-f]{16})-([0-9a-f]{16}) [0-9a-f]{16} ([u-])r([w-])$/.exec(line);
    if (!m) throw new Error(`unexpected info mem line: ${line}`);
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), user: m[3] === 'u', write: m[4] === 'w' });
  }
  return out;
}

/** A capture's memory and the first CPU's paging registers, as `@page-table/dump` reads them. */
export interface Opened {
  dump: OpenedDump;
  memory: PagingHandler;
  /** x86: CR3 and CR4 from the QEMU note (-1 when absent). */
  cr3: bigint;
  cr4: bigint;
}

/** Opens a core (the fixture's small one by default) with `openDump`. */
export function openCapture(c: Capture | Uint8Array): Opened {
  const dump = openDump(bytesSource(c instanceof Uint8Array ? c : c.core));
  const regs = dump.cpus[0]?.registers;
  return { dump, memory: new FrameMemory(dump.frames), cr3: regs?.get('cr3') ?? -1n, cr4: regs?.get('cr4') ?? -1n };
}
