/**
 * The views at scale and their options: streaming dumps of many rows and
 * many problems in a small heap, range ends at the top of the address space,
 * special files, filters, find-pa, arch aliases and whole registers as roots.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { A64PageTable, type A64VaBits } from '@page-table/arch-aarch64';
import { MappingFlags, PageSize, RamHandler } from '@page-table/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, type JsonValue, ptm, ptmIn, ptmInJson, tempDir, writeImage } from './helpers.js';

const tmp = tempDir();
const file = (name: string) => join(tmp.dir, name);
/** x86_64 link: P | R/W | U/S. */
const LINK = 7n;
/** A heap far smaller than what the whole output of the big images needs. */
const SMALL_HEAP = { NODE_OPTIONS: '--max-old-space-size=40' };

/** The demo image of one mode and the dump arguments for each of its tables. */
function demoImage(arch: string): { file: string; commands: string[][]; mode: JsonValue } {
  const out = file(`demo-${arch}.img`);
  const demo = ptmInJson(['demo', '--arch', arch, '--save-image', out]);
  const mode = demo.modes[0];
  return { file: out, mode, commands: mode.image.commands.map((c: string) => c.slice('ptm dump '.length).split(' ')) };
}

let x86: ReturnType<typeof demoImage>;
let a64: ReturnType<typeof demoImage>;
let sv39: ReturnType<typeof demoImage>;
let socket: Server | undefined;

beforeAll(async () => {
  // 131,072 leaves that never merge: 256 page tables of 512 4 KiB pages, flags alternating R and RW.
  const leaves: Array<readonly [number, bigint]> = [
    [0x1000, 0x2000n | LINK],
    [0x2000, 0x3000n | LINK],
  ];
  for (let t = 0; t < 256; t++) {
    const pt = 0x4000 + t * 0x1000;
    leaves.push([0x3000 + 8 * t, BigInt(pt) | LINK]);
    for (let i = 0; i < 512; i++) leaves.push([pt + 8 * i, (BigInt(t * 512 + i) << 12n) | (i % 2 === 0 ? 1n : 3n)]);
  }
  writeImage(file('leaves.img'), 0x4000 + 256 * 0x1000, leaves);
  // 262,144 back-links: a PML4 at 2 MiB whose 512 entries link to 512 PDPTs, each of whose 512 entries links back to it.
  const back = Buffer.alloc(0x20_1000);
  for (let i = 0; i < 512; i++) {
    back.writeBigUInt64LE(BigInt(i * 0x1000) | LINK, 0x20_0000 + 8 * i);
    for (let j = 0; j < 512; j++) back.writeBigUInt64LE(0x20_0000n | LINK, i * 0x1000 + 8 * j);
  }
  writeFileSync(file('backlinks.img'), back);
  // A 1 GiB block at the very top of the address space: PML4[511] -> PDPT[511].
  writeImage(file('top.img'), 0x3000, [
    [0x1000 + 8 * 511, 0x2000n | LINK],
    [0x2000 + 8 * 511, 0x4000_0000n | 0x83n],
  ]);
  // A user page under a PML4 entry without U/S: the CPU enforces supervisor-only access.
  writeImage(file('restricted.img'), 0x6000, [
    [0x1000, 0x2000n | 3n],
    [0x2000, 0x3000n | LINK],
    [0x3000, 0x4000n | LINK],
    [0x4000, 0x5000n | LINK],
  ]);
  x86 = demoImage('x86_64');
  a64 = demoImage('aarch64');
  sv39 = demoImage('riscv-sv39');
  execFileSync('mkfifo', [file('fifo')]);
  socket = createServer();
  await new Promise<void>((resolve) => socket?.listen(file('sock'), resolve));
});

afterAll(() => {
  socket?.close();
  tmp.cleanup();
});

describe('output that scales', () => {
  const args = ['--arch', 'x86_64', '--image', file('leaves.img'), '--root', '0x1000'];

  it('streams 131,072 unmergeable rows for people in a 40 MiB heap', async () => {
    const r = await ptm(['dump', ...args], SMALL_HEAP);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(131_072 + 3);
    // x86_64 without NX: every page is executable.
    expect(lines[2]).toMatch(
      /^ {2}0x0000000000000000-0x0000000000000fff {2}0x0000000000000-0x0000000000fff +4 KiB {4}4K {2}r-x--- {2}READ\|EXECUTE$/,
    );
    expect(lines.at(-2)).toMatch(/^ {2}0x000000001ffff000-0x000000001fffffff .* rwx---/);
    expect(lines.at(-1)).toBe('131072 mappings, 512 MiB mapped, 259 table frames (1036 KiB)');
  });

  it('streams them as JSON in the same heap', async () => {
    const r = await ptm(['dump', ...args, '--json'], SMALL_HEAP);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.mappings).toHaveLength(131_072);
    expect(d.mappings[1]).toEqual({
      va: '0x1000',
      vaLast: '0x1fff',
      pa: '0x1000',
      paLast: '0x1fff',
      size: '0x1000',
      pageSize: '4K',
      flags: ['READ', 'WRITE', 'EXECUTE'],
    });
    expect(d.summary).toMatchObject({
      mappings: 131_072,
      mappedBytes: '0x20000000',
      tableFrames: 259,
      problems: 0,
      complete: true,
    });
  });

  it('follows 262,144 back-links as the CPU does, streaming until the work budget ends it', async () => {
    // Every PDPT entry links back to the PML4: 512^4 paths, bounded by --max-entries.
    const hostile = [
      '--arch',
      'x86_64',
      '--image',
      file('backlinks.img'),
      '--root',
      '0x200000',
      '--max-entries',
      '300000',
    ];
    const [human, json] = await Promise.all([
      ptm(['dump', ...hostile], SMALL_HEAP),
      ptm(['dump', ...hostile, '--json'], SMALL_HEAP),
    ]);
    for (const r of [human, json]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^ptm: error: the walk stopped after 300000 entries \(--max-entries 300000\) at VA 0x[0-9a-f]+; everything before it is listed .*\n$/,
      );
    }
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^(\d+) mappings, .* mapped, 513 table frames \(2052 KiB\)$/);
    const rows = Number(/^(\d+)/.exec(lines.at(-1) ?? '')?.[1]);
    expect(rows).toBeGreaterThan(290_000);
    expect(lines).toHaveLength(rows + 3);
    const d = JSON.parse(json.stdout);
    expect(d.mappings).toHaveLength(rows);
    expect(d.summary).toMatchObject({ mappings: rows, tableFrames: 513, complete: false });
  });

  it('prints a range that ends at the top of the address space by its last address', () => {
    const top = ['dump', '--arch', 'x86_64', '--image', file('top.img'), '--root', '0x1000'];
    const r = ptmIn(top);
    expect(r.stdout).toContain('0xffffffffc0000000-0xffffffffffffffff');
    expect(r.stdout).not.toMatch(/10000000000000000/);
    const d = ptmInJson(top);
    expect(d.mappings).toEqual([
      {
        va: '0xffffffffc0000000',
        vaLast: '0xffffffffffffffff',
        pa: '0x40000000',
        paLast: '0x7fffffff',
        size: '0x40000000',
        pageSize: '1G',
        flags: ['READ', 'WRITE', 'EXECUTE'],
      },
    ]);
    expect(JSON.stringify(ptmInJson(['find-pa', ...top.slice(1), '0x7fffffff']).hits)).toContain('0xffffffffffffffff');
  });
});

describe('effective permissions', () => {
  const args = ['--arch', 'x86_64', '--image', file('restricted.img'), '--root', '0x1000'];

  it("shows what the CPU enforces, with the leaf's own bits beside where they differ", () => {
    const d = ptmInJson(['dump', ...args]);
    expect(d.mappings).toEqual([
      {
        va: '0x0',
        vaLast: '0xfff',
        pa: '0x5000',
        paLast: '0x5fff',
        size: '0x1000',
        pageSize: '4K',
        flags: ['READ', 'WRITE', 'EXECUTE'],
        leafFlags: ['READ', 'WRITE', 'EXECUTE', 'USER'],
      },
    ]);
    expect(d.summary.restrictedLeaves).toBe(1);
    const r = ptmIn(['dump', ...args]);
    expect(r.stdout).toMatch(/ rwx--- {2}READ\|WRITE\|EXECUTE {2}\(leaf rwxu--\)\n/);
    expect(r.stdout).toContain('1 leaves have fewer permissions than their own bits');
    expect(ptmInJson(['dump', ...args, '--user']).mappings).toEqual([]);
    expect(ptmInJson(['stats', ...args]).restrictedLeaves).toBe(1);
  });
});

describe('special files', () => {
  it('refuses a FIFO, a socket and a character device in one line, before any read', async () => {
    const cases: Array<[string, RegExp]> = [
      [
        file('fifo'),
        /fifo: not a regular file \(it is a FIFO \(named pipe\)\); ptm reads regular files and block devices/,
      ],
      [file('sock'), /sock: not a regular file \(it is a socket\)/],
      ['/dev/null', /\/dev\/null: not a regular file \(it is a character device\)/],
    ];
    // Through the binary: a FIFO opened for reading without O_NONBLOCK would hang here until the timeout.
    const runs = await Promise.all(
      cases.map(([f]) => ptm(['dump', '--arch', 'x86_64', '--image', f, '--root', '0x1000'])),
    );
    runs.forEach((r, i) => {
      expectError(r, 1, cases[i][1]);
    });
  });
});

describe('filters', () => {
  const rows = (extra: string[]) => ptmInJson(['dump', ...x86.commands[0], ...extra]).mappings as JsonValue[];

  it('keeps user or kernel pages, writable or executable ones', () => {
    const all = rows([]);
    expect(rows(['--user'])).toEqual(all.filter((m) => m.flags.includes('USER')));
    expect(rows(['--user'])).toHaveLength(3);
    expect(rows(['--kernel'])).toEqual(all.filter((m) => !m.flags.includes('USER')));
    expect(rows(['--writable'])).toEqual(all.filter((m) => m.flags.includes('WRITE')));
    expect(rows(['--executable', '--kernel'])).toEqual(
      all.filter((m) => m.flags.includes('EXECUTE') && !m.flags.includes('USER')),
    );
  });

  it('clips mappings to --range, inclusive at both ends', () => {
    expect(rows(['--range', '0x1000-0x2fff'])).toEqual([
      {
        va: '0x1000',
        vaLast: '0x2fff',
        pa: '0x1000',
        paLast: '0x2fff',
        size: '0x2000',
        pageSize: '1G',
        flags: ['READ', 'WRITE'],
      },
    ]);
    const kernel = rows(['--range', '0xffffffff80000000-']);
    expect(kernel[0].va).toBe('0xffffffff80000000');
    expect(kernel.every((m) => BigInt(m.va) >= 0xffffffff80000000n)).toBe(true);
    const d = ptmInJson(['dump', ...x86.commands[0], '--range', '0x1000-0x2fff', '--user']);
    expect(d.filter).toEqual({ first: '0x1000', last: '0x2fff', user: true, writable: false, executable: false });
    expect(d.mappings).toEqual([]);
    const human = ptmIn(['dump', ...x86.commands[0], '--range', '0x1000-0x2fff']);
    expect(human.stdout.split('\n')[0]).toContain('only VA 0x1000-0x2fff');
  });

  it('narrows stats the same way', () => {
    const st = ptmInJson(['stats', ...x86.commands[0], '--user']);
    expect(st.mapped.leaves).toBe(rows(['--user']).reduce((n, m) => n + Number(BigInt(m.size) / 4096n), 0));
    expect(st.mapped.byFlags.every((f: JsonValue) => f.flags.includes('USER'))).toBe(true);
  });

  it('rejects a bad range and --user with --kernel', () => {
    const base = ['dump', ...x86.commands[0]];
    expectError(ptmIn([...base, '--range', '0x2000']), 2, /--range: '0x2000' is not START-END/);
    expectError(ptmIn([...base, '--range', '0x2000-0x1000']), 2, /--range: the end 0x1000 is below the start 0x2000/);
    expectError(ptmIn([...base, '--range', 'a-b']), 2, /--range start: 'a' is not a number/);
    expectError(ptmIn([...base, '--user', '--kernel']), 2, /--user and --kernel exclude each other/);
  });
});

describe('ptm find-pa', () => {
  it('lists every VA that maps a PA: the identity map and the kernel image', () => {
    const d = ptmInJson(['find-pa', ...x86.commands[0], '0x201234']);
    expect(d.command).toBe('find-pa');
    expect(d.hits.map((h: JsonValue) => [h.va, h.flags.join('|')])).toEqual([
      ['0x201234', 'READ|WRITE'],
      ['0xffffffff80001234', 'READ|EXECUTE'],
    ]);
    const human = ptmIn(['find-pa', ...x86.commands[0], '0x201234', '0x7000000000']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /PA 0x201234\n {2}VA 0x0000000000201234 .*\n {2}VA 0xffffffff80001234 .*r-x--- {2}READ\|EXECUTE\n {2}mapped by 2 VAs/,
    );
    expect(human.stdout).toMatch(/PA 0x7000000000\n {2}mapped by no VA/);
    expect(ptmInJson(['find-pa', ...x86.commands[0], '--user', '0x201234']).hits).toEqual([]);
  });

  it('needs a PA', () => {
    expectError(ptmIn(['find-pa', ...x86.commands[0]]), 2, /ptm find-pa needs at least one PA/);
    expectError(ptmIn(['find-pa', ...x86.commands[0], 'x']), 2, /PA: 'x' is not a number/);
  });
});

describe('arch names as people type them', () => {
  it.each([
    ['amd64', 'x86_64'],
    ['x86-64', 'x86_64'],
    ['X64', 'x86_64'],
  ])('%s is %s', (alias, canonical) => {
    const d = ptmInJson(['dump', ...x86.commands[0].map((a) => (a === 'x86_64' ? alias : a))]);
    expect(d.mode).toBe(canonical);
    expect(d.mappings).toEqual(ptmInJson(['dump', ...x86.commands[0]]).mappings);
  });

  it.each(['sv39', 'riscv64-sv39', 'rv64-sv39', 'riscv64'])('%s is riscv-sv39', (alias) => {
    const d = ptmInJson(['dump', ...sv39.commands[0].map((a) => (a === 'riscv-sv39' ? alias : a))]);
    expect(d.mode).toBe('riscv-sv39');
  });

  it('arm64 is aarch64 and la64 is loongarch64', () => {
    expect(ptmInJson(['dump', ...a64.commands[0].map((a) => (a === 'aarch64' ? 'arm64' : a))]).mode).toBe('aarch64');
    const la = demoImage('loongarch64');
    expect(ptmInJson(['dump', ...la.commands[0].map((a) => (a === 'loongarch64' ? 'la64' : a))]).mode).toBe(
      'loongarch64',
    );
    expectError(
      ptmIn(['dump', '--arch', 'mips64', '--image', x86.file, '--root', '0x1000']),
      2,
      /unknown arch 'mips64' .*aliases such as amd64/,
    );
  });
});

describe('whole registers as roots', () => {
  const x86Root = () => x86.mode.tables[0].root as string;

  it('masks PCID and no-flush from --cr3 and takes the arch from it', () => {
    const cr3 = (BigInt(x86Root()) | 0x8000_0000_0000_0005n).toString(16);
    const d = ptmInJson(['dump', '--image', x86.file, '--cr3', `0x${cr3}`]);
    expect(d.mode).toBe('x86_64');
    expect(d.root).toEqual({
      paddr: x86Root(),
      source: 'option',
      detail: `--cr3 0x${cr3} (bits 0x8000000000000005 masked: PCID, PWT/PCD, no-flush)`,
    });
    expect(d.mappings).toEqual(x86.mode.tables[0].mappings);
    expect(ptmInJson(['dump', '--image', x86.file, '--cr3', x86Root(), '--cr4', '0x1020']).mode).toBe('x86_64-la57');
    expectError(
      ptmIn(['dump', '--arch', 'x86_64', '--image', x86.file, '--cr3', x86Root(), '--cr4', '0x1020']),
      2,
      /LA57 = 1 \(5-level paging\); --arch\/--levels say 4 levels/,
    );
    expectError(
      ptmIn(['dump', '--arch', 'riscv', '--image', x86.file, '--cr3', x86Root()]),
      2,
      /--cr3 is an x86_64 register/,
    );
    expectError(
      ptmIn(['dump', '--arch', 'x86_64', '--image', x86.file, '--root', x86Root(), '--cr3', x86Root()]),
      2,
      /give --root or --cr3, not both/,
    );
  });

  it('reads MODE, ASID and PPN from --satp', () => {
    const root = BigInt(sv39.mode.tables[0].root);
    const satp = (8n << 60n) | (0x42n << 44n) | (root >> 12n);
    const d = ptmInJson([
      'dump',
      '--image',
      sv39.file,
      '--ram-base',
      sv39.mode.ram.base,
      '--satp',
      `0x${satp.toString(16)}`,
    ]);
    expect(d.mode).toBe('riscv-sv39');
    expect(d.root.paddr).toBe(sv39.mode.tables[0].root);
    expect(d.root.detail).toContain('MODE 8, ASID 0x42');
    expect(d.mappings).toEqual(sv39.mode.tables[0].mappings);
    const bad = (v: bigint) => ptmIn(['dump', '--image', sv39.file, '--satp', `0x${v.toString(16)}`]);
    expectError(bad(root >> 12n), 2, /MODE is Bare \(0\), translation is off/);
    expectError(bad((5n << 60n) | (root >> 12n)), 2, /MODE 5 is reserved/);
    expectError(
      ptmIn(['dump', '--arch', 'riscv-sv48', '--image', sv39.file, '--satp', `0x${satp.toString(16)}`]),
      2,
      /MODE 8 \(riscv-sv39\); --arch says riscv-sv48/,
    );
  });

  it('dumps TTBR0 and TTBR1 together as one address space', () => {
    const [lower, upper] = a64.mode.tables;
    const both = ['--image', a64.file, '--ram-base', a64.mode.ram.base, '--mair', '0x44ff04'];
    const ttbr0 = `0x${(BigInt(lower.root) | (0x12n << 48n) | 1n).toString(16)}`;
    const d = ptmInJson(['dump', ...both, '--ttbr0', ttbr0, '--ttbr1', upper.root, '--tcr', '0x5b5103510']);
    expect(d.tables.map((t: JsonValue) => [t.root, t.upper])).toEqual([
      [lower.root, false],
      [upper.root, true],
    ]);
    expect(d.mappings).toEqual([...lower.mappings, ...upper.mappings]);
    expect(d.root.detail).toContain('ASID/CnP 0x12000000000001 masked');
    const human = ptmIn(['dump', ...both, '--ttbr0', lower.root, '--ttbr1', upper.root]);
    expect(human.stdout.split('\n')[0]).toMatch(/root 0x[0-9a-f]+ \(TTBR0_EL1 = .*root 0x[0-9a-f]+ \(TTBR1_EL1 = /);
  });

  it('takes the VA size from TCR and refuses what it cannot walk', () => {
    const base = ['dump', '--image', a64.file, '--ram-base', a64.mode.ram.base, '--ttbr0', a64.mode.tables[0].root];
    expectError(
      ptmIn([...base, '--tcr', '0x1d']),
      2,
      /T0SZ = 29 \(35-bit VA\): ptm walks 4 KiB-granule tables of T0SZ = 16\.\.28 \(48- to 36-bit VAs; above 28 the walk starts at level 2\)/,
    );
    expectError(ptmIn([...base, '--tcr', '0xc']), 2, /T0SZ = 12 \(52-bit VA\).*below 16 needs FEAT_LPA2/);
    expectError(ptmIn([...base, '--tcr', '0x4010']), 2, /TG0 selects a 64 KiB granule/);
    expectError(
      ptmIn([...base.slice(0, -2), '--ttbr0', `0x${(BigInt(a64.mode.tables[0].root) + 0x10n).toString(16)}`]),
      2,
      /BADDR is not 4 KiB aligned/,
    );
    const epd = ptmIn([...base, '--tcr', '0x90', '--levels', '4']);
    expect(epd.code).toBe(2);
    const d = ptmIn([...base, '--tcr', '0x19', '--json']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout).mode).toBe('aarch64-39bit');
    const off = ptmIn([...base, '--tcr', '0x90', '--mair', '0x0']);
    expect(off.stderr).toContain('TCR_EL1.EPD0 = 1: the CPU makes no walks from TTBR0_EL1');
  });
});

describe('AArch64 VA widths from TCR_EL1.TnSZ (partial top tables)', () => {
  // TCR_EL1 with T0SZ = T1SZ = 64 - bits, TG0 = 4 KiB (0b00), TG1 = 4 KiB (0b10).
  const tcr = (bits: number) => `0x${(BigInt(64 - bits) | (BigInt(64 - bits) << 16n) | (2n << 30n)).toString(16)}`;

  it.each([42, 47, 40, 36])(
    'dumps and translates TTBR0 and TTBR1 tables of %i-bit VAs built by A64PageTable',
    (bits) => {
      const ram = new RamHandler({ base: 0, size: 1 << 20 });
      const lower = A64PageTable.create(ram, { vaBits: bits as A64VaBits, range: 'lower' });
      const upper = A64PageTable.create(ram, { vaBits: bits as A64VaBits, range: 'upper' });
      const top = 1n << BigInt(bits);
      const rw = MappingFlags.READ | MappingFlags.WRITE;
      lower.map(0x40_0000, 0x8_0000, PageSize.Size4K, MappingFlags.READ | MappingFlags.EXECUTE | MappingFlags.USER);
      lower.map(top - 0x1000n, 0x8_1000, PageSize.Size4K, rw | MappingFlags.USER);
      upper.map(0x1_0000_0000_0000_0000n - top, 0x8_2000, PageSize.Size4K, rw);
      upper.map(0xffff_ffff_ffe0_0000n, 0x20_0000, PageSize.Size2M, MappingFlags.READ | MappingFlags.EXECUTE);
      const img = file(`a64-${bits}.img`);
      writeFileSync(img, ram.bytes);
      const hexOf = (v: bigint | number) => `0x${BigInt(v).toString(16)}`;
      const args = ['--image', img, '--ttbr0', hexOf(lower.rootPaddr), '--ttbr1', hexOf(upper.rootPaddr)];
      const d = ptmInJson(['dump', ...args, '--tcr', tcr(bits), '--mair', '0xff']);
      expect(d.mode).toBe(`aarch64-${bits}bit`);
      expect(d.levels).toBe(bits > 39 ? 4 : 3);
      expect(d.tables.map((t: JsonValue) => t.register)).toEqual([
        `TTBR0_EL1 = ${hexOf(lower.rootPaddr)}, TCR.T0SZ = ${64 - bits}`,
        `TTBR1_EL1 = ${hexOf(upper.rootPaddr)}, TCR.T1SZ = ${64 - bits}`,
      ]);
      const rows = (pt: A64PageTable, upperBits: bigint) =>
        [...pt.mappings()].map((m) => [hexOf(BigInt(m.va) | upperBits), hexOf(m.pa), hexOf(m.size)]);
      expect(d.mappings.map((m: JsonValue) => [m.va, m.pa, m.size])).toEqual([...rows(lower, 0n), ...rows(upper, 0n)]);
      expect(d.mappings.map((m: JsonValue) => m.va)).toEqual([
        '0x400000',
        hexOf(top - 0x1000n),
        hexOf(0x1_0000_0000_0000_0000n - top),
        '0xffffffffffe00000',
      ]);
      // translate walks the same entries: both range ends, and the first VA past the TTBR0 range is not canonical.
      const t = ptmInJson([
        'translate',
        ...args,
        '--tcr',
        tcr(bits),
        hexOf(top - 0xf00n),
        '0xffffffffffe01234',
        hexOf(top),
      ]);
      expect(t.translations.map((x: JsonValue) => x.pa)).toEqual(['0x81100', '0x201234', null]);
      expect(t.translations[0].walk).toHaveLength(bits > 39 ? 4 : 3);
      expect(t.translations[0].walk[0].index).toBe(Number(((top - 1n) >> (bits > 39 ? 39n : 30n)) & 511n));
      expect(t.translations[1].walk[0].index).toBe(Number(((top - 1n) >> (bits > 39 ? 39n : 30n)) & 511n));
      expect(t.translations[2].stop.reason).toBe('non-canonical');
    },
  );
});

describe('AArch64 memory types', () => {
  const lowerArgs = () => a64.commands[0].filter((_, i, all) => all[i] !== '--mair' && all[i - 1] !== '--mair');

  it('come from --mair, never the codec default', () => {
    const none = ptmIn(['dump', ...lowerArgs(), '--json']);
    expect(none.stderr).toContain('no --mair: AArch64 memory types (DEVICE, UNCACHED) are not shown');
    const plain = JSON.parse(none.stdout).mappings as JsonValue[];
    expect(plain.some((m) => m.flags.includes('DEVICE'))).toBe(false);
    const upperArgs = a64.commands[1].filter((_, i, all) => all[i] !== '--mair' && all[i - 1] !== '--mair');
    // The demo writes DEVICE with AttrIndx 0 and normal memory with 1 (MAIR 0x44ff04: Attr0 = 0x04, Attr1 = 0xff).
    const asGuest = ptmInJson(['dump', ...upperArgs, '--mair', '0x44ff04']).mappings as JsonValue[];
    expect(asGuest.filter((m) => m.flags.includes('DEVICE')).length).toBeGreaterThan(0);
    // A guest whose MAIR says the opposite (Attr0 normal, Attr1 device) sees the opposite.
    const swapped = ptmInJson(['dump', ...upperArgs, '--mair', '0x4404ff']).mappings as JsonValue[];
    const kernelText = swapped.find((m) => m.va === '0xffffffff80000000');
    expect(kernelText.flags).toContain('DEVICE');
    expect(swapped.filter((m) => m.flags.includes('DEVICE')).map((m) => m.va)).not.toContain(
      asGuest.find((m) => m.flags.includes('DEVICE')).va,
    );
    expectError(
      ptmIn(['dump', ...x86.commands[0], '--mair', '0x0']),
      2,
      /--mair is an AArch64 register; x86_64 has no MAIR/,
    );
  });
});

describe('effective permissions in translate', () => {
  it("combines the rights of every level walked, with the leaf's own bits beside", () => {
    const args = ['--arch', 'x86_64', '--image', join(tmp.dir, 'restricted.img'), '--root', '0x1000'];
    const t = ptmInJson(['translate', ...args, '0x10']).translations[0];
    expect(t.flags).toEqual(['READ', 'WRITE', 'EXECUTE']);
    expect(t.leafFlags).toEqual(['READ', 'WRITE', 'EXECUTE', 'USER']);
    expect(ptmIn(['translate', ...args, '0x10']).stdout).toContain('(leaf rwxu--: the tables above take rights away)');
  });
});
