/**
 * The binary end to end on the demo's own images: every mode's tables saved
 * with `demo --save-image`, read back with `dump`, `translate` and `stats`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonValue, ptm, ptmIn, ptmInJson, ptmJson, tempDir } from './helpers.js';

const HEX = /^0x[0-9a-f]+$/;
const MODES = [
  'x86_64',
  'x86_64-la57',
  'riscv-sv39',
  'riscv-sv48',
  'riscv-sv57',
  'aarch64',
  'loongarch64',
  'loongarch64-3level',
];

/** One saved table: its mode, the image and the arguments that select it. */
interface Saved {
  mode: JsonValue;
  table: JsonValue;
  args: string[];
}

const tmp = tempDir();
let demo: JsonValue;
let saved: Saved[] = [];

/** The image arguments of the printed `ptm dump …` command (everything after `ptm dump`). */
function argsOf(command: string): string[] {
  expect(command.startsWith('ptm dump ')).toBe(true);
  return command.slice('ptm dump '.length).split(' ');
}

function expectMappingSchema(m: JsonValue): void {
  expect(Object.keys(m)).toEqual(['va', 'vaLast', 'pa', 'paLast', 'size', 'pageSize', 'flags']);
  for (const k of ['va', 'vaLast', 'pa', 'paLast', 'size']) expect(m[k]).toMatch(HEX);
  expect(BigInt(m.vaLast) - BigInt(m.va) + 1n).toBe(BigInt(m.size));
  expect(BigInt(m.paLast) - BigInt(m.pa) + 1n).toBe(BigInt(m.size));
  expect(['4K', '2M', '1G']).toContain(m.pageSize);
  expect(Array.isArray(m.flags)).toBe(true);
}

beforeAll(async () => {
  demo = await ptmJson(['demo', '--save-image', join(tmp.dir, 'demo.img')]);
  saved = demo.modes.flatMap((mode: JsonValue) =>
    mode.tables.map((table: JsonValue, i: number) => ({ mode, table, args: argsOf(mode.image.commands[i]) })),
  );
});

afterAll(() => tmp.cleanup());

describe('ptm demo', () => {
  it('builds every mode, with one table per TTBR on aarch64', () => {
    expect(demo.schema).toBe(2);
    expect(demo.command).toBe('demo');
    expect(demo.modes.map((m: JsonValue) => m.mode)).toEqual(MODES);
    for (const m of demo.modes) expect(m.tables).toHaveLength(m.arch === 'aarch64' ? 2 : 1);
    expect(saved).toHaveLength(9);
  });

  it('maps the identity map in huge pages, the kernel in 4K pages and the user pages with USER', () => {
    for (const m of demo.modes) {
      const all = m.tables.flatMap((t: JsonValue) => t.mappings);
      for (const x of all) expectMappingSchema(x);
      expect(all.some((x: JsonValue) => x.pageSize === '1G' && x.va === x.pa)).toBe(true);
      expect(all.some((x: JsonValue) => x.pageSize === '2M' && x.va === x.pa)).toBe(true);
      const kernel = all.filter((x: JsonValue) => x.va.startsWith('0xffffffff8'));
      expect(kernel.map((x: JsonValue) => x.flags.join('|'))).toEqual(['READ|EXECUTE', 'READ', 'READ|WRITE']);
      expect(kernel.every((x: JsonValue) => x.pageSize === '4K')).toBe(true);
      expect(all.filter((x: JsonValue) => x.flags.includes('USER'))).toHaveLength(3);
      // The MMIO windows: DEVICE where the arch encodes it (x86 reads it back as UNCACHED, plain RISC-V not at all).
      const mmio = all.filter(
        (x: JsonValue) =>
          x.va.startsWith('0xffffffffc') || x.va.startsWith('0xffffffffd') || x.va.startsWith('0xfffffffff'),
      );
      expect(mmio.length).toBeGreaterThan(0);
      const expected = m.arch === 'x86_64' ? 'UNCACHED' : m.arch === 'riscv' ? undefined : 'DEVICE';
      for (const x of mmio) if (expected) expect(x.flags).toContain(expected);
      expect(m.tableFrames).toBeGreaterThan(m.levels);
    }
  });

  it('translates its probes, and leaves the guard page unmapped', () => {
    for (const m of demo.modes) {
      const probes = m.tables.flatMap((t: JsonValue) => t.translations);
      expect(probes.filter((p: JsonValue) => !p.mapped).map((p: JsonValue) => p.what)).toEqual([
        'guard page below the kernel',
      ]);
      const text = probes.find((p: JsonValue) => p.what === 'kernel .text');
      expect(text.flags).toEqual(['READ', 'EXECUTE']);
      expect(text.pageSize).toBe('4K');
      expect(BigInt(text.pa) & 0xfffn).toBe(0x234n);
    }
  });

  it('writes 2 MiB images and prints the dump command for each table', () => {
    for (const s of saved) {
      expect(readFileSync(s.mode.image.file).length).toBe(0x20_0000);
      expect(s.args).toContain(s.table.root);
      expect(s.args.includes('--upper')).toBe(s.table.upper);
    }
  });

  it('prints aligned tables without colour when stdout is not a terminal', async () => {
    const r = await ptm([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('\x1b[');
    for (const title of [
      'x86_64 4-level',
      'x86_64 5-level (LA57)',
      'riscv64 Sv39',
      'riscv64 Sv57',
      'aarch64 4-level',
      'loongarch64 3-level',
    ]) {
      expect(r.stdout).toContain(title);
    }
    expect(r.stdout).toContain('TTBR1_EL1 (upper range)');
    expect(r.stdout).toMatch(/table frames \d+/);
  });

  it('runs one mode with --arch and --levels', () => {
    const one = ptmInJson(['demo', '--arch', 'x86_64', '--levels', '5']);
    expect(one.modes.map((m: JsonValue) => m.mode)).toEqual(['x86_64-la57']);
    expect(one.modes[0].tables[0].mappings).toEqual(demo.modes[1].tables[0].mappings);
  });
});

describe('ptm dump', () => {
  it('reads back exactly the mappings the demo built, for every mode and table', async () => {
    // One table per arch through the binary, the others in-process (the same code, minus a process each).
    const spawned = new Set(['x86_64-la57', 'riscv-sv48', 'aarch64', 'loongarch64-3level']);
    const dumps = await Promise.all(
      saved.map((s) => {
        const args = ['dump', ...s.args];
        const viaBinary = spawned.has(s.mode.mode) && (s.mode.arch !== 'aarch64' || s.table.upper);
        return viaBinary ? ptmJson(args) : ptmInJson(args);
      }),
    );
    dumps.forEach((d, i) => {
      const s = saved[i];
      expect(d.command).toBe('dump');
      expect(d.mode).toBe(s.mode.mode);
      expect(d.schema).toBe(2);
      expect(d.root).toEqual({ paddr: s.table.root, source: 'option', detail: '--root' });
      expect(d.input.format).toBe('raw');
      expect(d.upper).toBe(s.table.upper);
      expect(d.mappings).toEqual(s.table.mappings);
      expect(d.problems).toEqual([]);
      expect(d.summary.mappings).toBe(s.table.mappings.length);
    });
  });

  it('gives the same result with a one-frame cache (every read evicts)', () => {
    for (const s of saved)
      expect(ptmInJson(['dump', ...s.args, '--cache-frames', '1']).mappings).toEqual(s.table.mappings);
  });

  it('prints an info-mem table for people', () => {
    const s = saved[0];
    const r = ptmIn(['dump', ...s.args]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain('x86_64 4-level');
    expect(lines[0]).toContain(`root ${s.table.root}`);
    expect(lines[1]).toMatch(/^ {2}VA range +PA range +size +page +perm +flags$/);
    expect(lines[2]).toMatch(
      /^ {2}0x0000000000000000-0x000000007fffffff {2}0x0000000000000-0x000007fffffff +2 GiB {4}1G {2}rw---- {2}READ\|WRITE$/,
    );
    // Fixed columns: every row's PA range starts where the header's does.
    const at = lines[1].indexOf('PA range');
    for (const l of lines.slice(2, -1)) expect(l.slice(at, at + 2)).toBe('0x');
    expect(lines.at(-1)).toMatch(/^\d+ mappings, .* mapped, \d+ table frames/);
  });
});

describe('ptm translate', () => {
  it('agrees with the demo on every probe, entry by entry', async () => {
    // Through the binary for one mode, in-process for the others (the same code, minus a process each).
    const results = await Promise.all(
      saved.map((s, i) => {
        const args = ['translate', ...s.args, ...s.table.translations.map((t: JsonValue) => t.va)];
        return i === 0 ? ptmJson(args) : ptmInJson(args);
      }),
    );
    results.forEach((r, i) => {
      const s = saved[i];
      const image = readFileSync(s.mode.image.file);
      const base = BigInt(s.mode.ram.base);
      expect(r.translations).toHaveLength(s.table.translations.length);
      r.translations.forEach((t: JsonValue, j: number) => {
        const want = s.table.translations[j];
        expect(t.va).toBe(want.va);
        expect(t.mapped).toBe(want.mapped);
        expect(t.pa).toBe(want.pa);
        expect(t.flags).toEqual(want.flags);
        expect(t.pageSize).toBe(want.pageSize);
        // The walk starts at the root and reads, at each level, the entry the VA's index selects.
        expect(t.walk[0].tablePa).toBe(s.table.root);
        t.walk.forEach((step: JsonValue, k: number) => {
          expect(step.level).toBe(s.mode.levels - 1 - k);
          const index = Number((BigInt(t.va) >> BigInt(12 + 9 * step.level)) & 511n);
          expect(step.index).toBe(index);
          expect(BigInt(step.entryPa)).toBe(BigInt(step.tablePa) + BigInt(8 * index));
          expect(step.entry).toBe(`0x${image.readBigUInt64LE(Number(BigInt(step.entryPa) - base)).toString(16)}`);
          if (k > 0) expect(step.tablePa).toBe(t.walk[k - 1].target);
        });
        const last = t.walk.at(-1);
        if (t.mapped) {
          expect(last.kind).toBe('leaf');
          expect(t.stop).toBeNull();
          expect(t.walk).toHaveLength(
            s.mode.levels - ({ '4K': 0, '2M': 1, '1G': 2 } as Record<string, number>)[t.pageSize],
          );
        } else {
          expect(t.stop.reason).toBe('not-present');
          expect(last.kind).toBe('invalid');
        }
      });
    });
  });

  it('shows the walk for people', () => {
    const s = saved[0];
    const r = ptmIn(['translate', ...s.args, '0xffffffff80001234', '0xffffffff7ffff000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('VA 0xffffffff80001234 → PA 0x201234  r-x---  READ|EXECUTE  4K page');
    expect(r.stdout).toMatch(/ {2}PML4 +511 +0x100ff8 +0x[0-9a-f]{16} +table → 0x/);
    expect(r.stdout).toMatch(/ {2}PT +1 +0x[0-9a-f]+ +0x[0-9a-f]{16} +4K page at 0x201000/);
    expect(r.stdout).toMatch(/VA 0xffffffff7ffff000 → not mapped: not present: PDPT entry 509 at 0x103fe8 is 0x0/);
  });

  it('reports a non-canonical VA without walking', () => {
    const s = saved.find((x) => x.mode.mode === 'riscv-sv39')!;
    const r = ptmInJson(['translate', ...s.args, '0x8000000000']);
    expect(r.translations[0].walk).toEqual([]);
    expect(r.translations[0].stop.reason).toBe('non-canonical');
  });
});

describe('ptm stats', () => {
  it('adds up to the dump and to the demo frame count', async () => {
    const stats = await Promise.all(
      saved.map((s, i) => (i === 0 ? ptmJson(['stats', ...s.args]) : ptmInJson(['stats', ...s.args]))),
    );
    const framesPerMode = new Map<string, number>();
    stats.forEach((st, i) => {
      const s = saved[i];
      const mapped = s.table.mappings.reduce((sum: bigint, m: JsonValue) => sum + BigInt(m.size), 0n);
      expect(BigInt(st.mapped.bytes)).toBe(mapped);
      const sum = (xs: JsonValue[], key: string) => xs.reduce((a: bigint, x: JsonValue) => a + BigInt(x[key]), 0n);
      expect(sum(st.mapped.byPageSize, 'bytes')).toBe(mapped);
      expect(sum(st.mapped.byFlags, 'bytes')).toBe(mapped);
      expect(sum(st.mapped.byPageSize, 'leaves')).toBe(BigInt(st.mapped.leaves));
      expect(st.tables.byLevel.map((l: JsonValue) => l.level)).toEqual([...Array(s.mode.levels).keys()].reverse());
      expect(st.tables.byLevel[0].frames).toBe(1);
      expect(sum(st.tables.byLevel, 'frames')).toBe(BigInt(st.tables.frames));
      expect(st.tables.bytes).toBe(`0x${(st.tables.frames * 4096).toString(16)}`);
      framesPerMode.set(s.mode.mode, (framesPerMode.get(s.mode.mode) ?? 0) + st.tables.frames);
    });
    for (const m of demo.modes) expect(framesPerMode.get(m.mode)).toBe(m.tableFrames);
  });
});
