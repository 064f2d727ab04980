/**
 * Bad input through the binary: every failure is one `ptm: error:` line and
 * a non-zero exit; hostile tables are reported entry by entry and never hang.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, type JsonValue, ptm, ptmIn, ptmInJson, ptmJson, tempDir, writeImage } from './helpers.js';

const tmp = tempDir();
const file = (name: string) => join(tmp.dir, name);
/** x86_64 flags: P | R/W | U/S for a link, PS for a block. */
const LINK = 7n;
const BLOCK = 0x83n;

beforeAll(() => {
  // A valid little x86_64 image at PA 0: root at 0x1000 mapping VA 0 to PA 0x5000.
  writeImage(file('good.img'), 0x4000, [
    [0x1000, 0x2000n | LINK],
    [0x2000, 0x3000n | LINK],
    [0x3000, 0x0000n | LINK], // PD entry 0 → the "PT" at PA 0
    [0x0000, 0x5000n | 3n],
  ]);
  writeFileSync(file('short.img'), Buffer.alloc(100));
  writeFileSync(file('empty.img'), Buffer.alloc(0));
  // Hostile x86_64 tables at PA 0x1000..0x4000:
  //   PML4[0] → a PDPT far outside the image; PML4[1] → the PML4 itself; PML4[2] → PDPT at 0x2000;
  //   PDPT[0] → back to the PML4 (a two-table loop); PDPT[1] a 1 GiB block; PDPT[2] → PD at 0x3000;
  //   PD[0] → the PD itself; PD[1] a 2 MiB block; PML4[3] has PS set (reserved at the top level).
  writeImage(file('hostile.img'), 0x4000, [
    [0x1000, 0x7_0000_0000n | LINK],
    [0x1008, 0x1000n | LINK],
    [0x1010, 0x2000n | LINK],
    [0x1018, 0x4000_0000n | BLOCK],
    [0x2000, 0x1000n | LINK],
    [0x2008, 0x4000_0000n | BLOCK],
    [0x2010, 0x3000n | LINK],
    [0x3000, 0x3000n | LINK],
    [0x3008, 0x20_0000n | BLOCK],
  ]);
  // A 5-level root whose 512 entries all point back at itself: the worst loop there is.
  writeImage(
    file('selfmap.img'),
    0x2000,
    Array.from({ length: 512 }, (_, i) => [0x1000 + 8 * i, 0x1000n | LINK] as const),
  );
  // The good image plus 100 bytes of a partial frame.
  const good = Buffer.alloc(0x4000 + 100);
  good.writeBigUInt64LE(0x2000n | LINK, 0x1000);
  writeFileSync(file('ragged.img'), good);
  // Sv39 tables whose root links to a table outside the image (RISC-V link: V only, PPN at bit 10).
  writeImage(file('riscv.img'), 0x2000, [[0x1000, ((0x9999_9000n >> 12n) << 10n) | 1n]]);
});

afterAll(() => tmp.cleanup());

describe('bad command lines (exit 2)', () => {
  it('rejects each with one line', async () => {
    const img = file('good.img');
    const cases: Array<[string[], RegExp]> = [
      [['frob'], /unknown command 'frob'/],
      [
        ['dump', '--arch', 'sparc', '--image', img, '--root', '0x1000'],
        /unknown arch 'sparc' \(choose one of x86_64, /,
      ],
      [['dump', '--arch', 'x86_64', '--image', img, '--root', '0xzz'], /--root: '0xzz' is not a number/],
      [
        ['dump', '--arch', 'x86_64', '--image', img, '--root', '0x1000', '--ram-base', 'lots'],
        /--ram-base: 'lots' is not a number/,
      ],
      [['dump', '--arch', 'x86_64', '--image', img, '--root', '0x1_0000_0000_0000_0000'], /does not fit in 64 bits/],
      [['dump', '--arch', 'x86_64', '--image', img, '--root', '0x1234'], /--root 0x1234 is not 4 KiB aligned/],
      [
        ['dump', '--arch', 'x86_64', '--image', img, '--root', '0x1000', '--ram-base', '0x10'],
        /--ram-base 0x10 is not 4 KiB aligned/,
      ],
      [['dump', '--arch', 'x86_64', '--levels', '3', '--image', img, '--root', '0x1000'], /x86_64 has no 3-level mode/],
      [
        ['dump', '--arch', 'x86_64', '--levels', 'five', '--image', img, '--root', '0x1000'],
        /--levels: 'five' is not a whole number/,
      ],
      [['dump', '--arch', 'x86_64', '--image', img, '--root', '0x1000', '--upper'], /--upper is for aarch64/],
      [
        ['dump', '--arch', 'x86_64', '--image', img, '--root', '0x1000', '--bogus'],
        /unknown option '--bogus' for ptm dump/,
      ],
      [['dump', '--arch', 'x86_64', '--image', img, '--root'], /option --root needs a value/],
      [['dump', '--image', img, '--root', '0x1000'], /ptm dump needs --arch/],
      [['stats', '--arch', 'x86_64', '--root', '0x1000'], /ptm stats needs --image/],
      [['translate', '--arch', 'x86_64', '--image', img], /ptm translate needs --root/],
      [['translate', '--arch', 'x86_64', '--image', img, '--root', '0x1000'], /needs at least one VA/],
      [
        ['translate', '--arch', 'x86_64', '--image', img, '--root', '0x1000', 'nowhere'],
        /VA: 'nowhere' is not a number/,
      ],
      [['demo', '--levels', '4'], /--levels needs --arch/],
      [['demo', '--arch', 'mips'], /unknown arch 'mips'/],
    ];
    // The first few through the binary (exit status, stderr, no stack), the rest in-process.
    const runs = await Promise.all(cases.map(([args], i) => (i < 4 ? ptm(args) : ptmIn(args))));
    runs.forEach((r, i) => {
      expectError(r, 2, cases[i][1]);
    });
  });
});

describe('bad images (exit 1)', () => {
  it('rejects a missing, short or empty image and a root outside it', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--image', file('missing.img'), '--root', '0x1000'],
        /cannot read image .*missing\.img: no such file or directory/,
      ],
      [['--image', tmp.dir, '--root', '0x1000'], /cannot read image .*: not a regular file/],
      [['--image', file('short.img'), '--root', '0x0'], /short\.img is 100 bytes, shorter than one 4 KiB frame/],
      [['--image', file('empty.img'), '--root', '0x0'], /empty\.img is 0 bytes/],
      [['--image', file('good.img'), '--root', '0x4000'], /root 0x4000 is outside the image \(0x0\.\.0x4000, 16 KiB\)/],
      [
        ['--image', file('good.img'), '--root', '0x1000', '--ram-base', '0x10000'],
        /root 0x1000 is outside the image \(0x10000\.\.0x14000/,
      ],
    ];
    const runs = await Promise.all(
      cases.flatMap(([args], i) =>
        ['dump', 'stats', 'translate'].map((cmd) => {
          const argv = [cmd, '--arch', 'x86_64', ...args, ...(cmd === 'translate' ? ['0x0'] : [])];
          return i < 3 && cmd === 'dump' ? ptm(argv) : ptmIn(argv);
        }),
      ),
    );
    runs.forEach((r, i) => {
      expectError(r, 1, cases[Math.floor(i / 3)][1]);
    });
  });

  it('warns about a partial last frame and goes on', () => {
    const r = ptmIn(['dump', '--arch', 'x86_64', '--image', file('ragged.img'), '--root', '0x1000']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^ptm: warning: image .*ragged\.img ends with 100 bytes of a partial frame; they are ignored\n$/,
    );
  });
});

describe('hostile tables', () => {
  let dump: JsonValue;
  beforeAll(async () => {
    dump = await ptmJson(['dump', '--arch', 'x86_64', '--image', file('hostile.img'), '--root', '0x1000']);
  });

  it('walks every path as the CPU does and reports each link it could not follow', () => {
    // PML4[1] and PDPT[0] lead back to the PML4 and PD[0] to the PD: the CPU reads them again one level down.
    expect(dump.mappings).toHaveLength(25);
    expect(dump.mappings.slice(-2).map((m: JsonValue) => [m.va, m.pa, m.pageSize])).toEqual([
      ['0x10080001000', '0x200000', '4K'],
      ['0x10080200000', '0x200000', '2M'],
    ]);
    expect(dump.problems.map((p: JsonValue) => [p.kind, p.table, p.index, p.entryPa, p.va, p.target])).toEqual([
      ['table-outside-image', 'PML4', 0, '0x1000', '0x0', '0x700000000'],
      ['table-outside-image', 'PDPT', 0, '0x1000', '0x8000000000', '0x700000000'],
      ['table-outside-image', 'PD', 0, '0x1000', '0x8040000000', '0x700000000'],
      ['table-outside-image', 'PD', 0, '0x1000', '0x10000000000', '0x700000000'],
    ]);
    expect(dump.problems[0].message).toMatch(
      /PML4 entry 0 at 0x1000 \(VA 0x0\) links to a PDPT table at 0x700000000 outside the image/,
    );
    expect(dump.aliases.map((a: JsonValue) => a.table)).toEqual(['0x1000', '0x3000']);
    expect(dump.aliases[0].vas.slice(0, 3)).toEqual(['0x0', '0x8000000000', '0x8040000000']);
    expect(dump.summary).toMatchObject({
      tableFrames: 3,
      problems: 4,
      aliasedTables: 2,
      complete: true,
      stopped: null,
    });
  });

  it('lists the problems and the shared tables after the human table', () => {
    const r = ptmIn(['dump', '--arch', 'x86_64', '--image', file('hostile.img'), '--root', '0x1000']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /4 entries not followed:\n {2}! PML4 entry 0 at 0x1000 \(VA 0x0\) links to a PDPT table at 0x700000000 outside the image; not walked\n/,
    );
    expect(r.stdout).toMatch(
      /2 tables are shared \(reached from several VAs, each listed above\):\n {2}table 0x1000 from VA 0x0, 0x8000000000, /,
    );
  });

  it('stops translations where the tables do, with the reason', () => {
    const t = ptmInJson([
      'translate',
      '--arch',
      'x86_64',
      '--image',
      file('hostile.img'),
      '--root',
      '0x1000',
      '0x0',
      '0x8000000000',
      '0x18000000000',
      '0x10080212345',
      '0x10000000000',
    ]);
    const [outside, loop, reserved, block, again] = t.translations;
    expect(outside.stop).toMatchObject({ level: 2, reason: 'table-outside-image' });
    expect(outside.stop.message).toBe(
      'the PDPT table at 0x700000000 is outside the image (linked from PML4 entry 0 at 0x1000)',
    );
    // PML4[1] leads back to the PML4, read as a PDPT: entry 0 of it is the link outside.
    expect(loop.walk.map((s: JsonValue) => s.tablePa)).toEqual(['0x1000', '0x1000']);
    expect(loop.stop.reason).toBe('table-outside-image');
    expect(reserved.stop).toMatchObject({ level: 3, reason: 'reserved' });
    expect(reserved.walk[0].kind).toBe('reserved');
    expect(block).toMatchObject({ mapped: true, pa: '0x212345', pageSize: '2M' });
    // The two-table loop: PML4 → PDPT → PML4 read as a PD, whose entry 0 is the link outside.
    expect(again.walk.map((s: JsonValue) => s.tablePa)).toEqual(['0x1000', '0x2000', '0x1000']);
  });

  it('bounds the worst self-map (512^5 paths) by the work budget, with what came before', async () => {
    const args = [
      '--arch',
      'x86_64',
      '--levels',
      '5',
      '--image',
      file('selfmap.img'),
      '--root',
      '0x1000',
      '--max-entries',
      '5000',
    ];
    const [human, json, t, s] = await Promise.all([
      ptm(['dump', ...args]),
      ptm(['dump', ...args, '--json']),
      ptmInJson(['translate', ...args, '0x0', '0xffffffffffffffff']),
      Promise.resolve(ptmIn(['stats', ...args, '--json'])),
    ]);
    const stopped =
      /^ptm: error: the walk stopped after 5000 entries \(--max-entries 5000\) at VA 0x[0-9a-f]+; everything before it is listed/;
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(stopped);
    expect(human.stderr.split('\n')).toHaveLength(2);
    expect(human.stdout).toMatch(/\d+ mappings, .* mapped, 1 table frame \(4 KiB\)\n$/);
    expect(json.code).toBe(1);
    const d = JSON.parse(json.stdout);
    expect(d.summary.complete).toBe(false);
    expect(BigInt(d.summary.stopped.va)).toBeGreaterThan(BigInt(d.mappings.at(-1).vaLast));
    // As hardware would: five reads of the same table, the last one taken as a 4 KiB page.
    for (const x of t.translations) {
      expect(x.walk).toHaveLength(5);
      expect(x.pa).toBe(x.va === '0x0' ? '0x1000' : '0x1fff');
    }
    expect(s.code).toBe(1);
    expect(JSON.parse(s.stdout).tables.frames).toBe(1);
    expectError(ptmIn(['dump', ...args.slice(0, -1), 'lots']), 2, /--max-entries: 'lots' is not a whole number/);
  });

  it('reports a RISC-V link outside the image in dump, translate and stats', () => {
    const args = ['--arch', 'riscv-sv39', '--image', file('riscv.img'), '--root', '0x1000'];
    const [d, t, s] = [
      ptmInJson(['dump', ...args]),
      ptmInJson(['translate', ...args, '0x1000']),
      ptmInJson(['stats', ...args]),
    ];
    expect(d.mappings).toEqual([]);
    expect(d.problems).toMatchObject([{ kind: 'table-outside-image', table: 'L2', index: 0, target: '0x99999000' }]);
    expect(t.translations[0].stop.reason).toBe('table-outside-image');
    expect(s.problems).toHaveLength(1);
    expect(s.mapped.bytes).toBe('0x0');
  });
});

describe('help', () => {
  it('prints the usage of ptm and of each command', async () => {
    const runs = await Promise.all(
      [['--help'], ['dump', '--help'], ['help', 'translate'], ['stats', '-h'], ['demo', '--help']].map((a, i) =>
        i < 2 ? ptm(a) : ptmIn(a),
      ),
    );
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
    }
    expect(runs[0].stdout).toMatch(/^ptm: build, dump, translate and measure/);
    expect(runs[0].stdout).toContain('ptm dump      --arch NAME');
    expect(runs[1].stdout).toMatch(/^Usage: ptm dump /);
    expect(runs[1].stdout).toContain('--upper');
    expect(runs[2].stdout).toMatch(/^Usage: ptm translate /);
    expect(runs[3].stdout).toMatch(/^Usage: ptm stats /);
    expect(runs[4].stdout).toContain('--save-image FILE');
  });
});
