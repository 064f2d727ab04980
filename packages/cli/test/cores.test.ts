/**
 * Real inputs: QEMU 7.2 ELF cores of Debian's 6.1 kernel (the fixtures of
 * `@page-table/dump`, provenance in its test/fixtures/README.md) opened with
 * no --arch and no --root, the root from the x86 QEMU note; several raw
 * regions; and the inputs ptm must refuse in one line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, type JsonValue, PKG, ptm, ptmIn, ptmInJson, tempDir } from './helpers.js';

const FIXTURES = join(PKG, '../dump/test/fixtures');
const tmp = tempDir();
const file = (name: string) => join(tmp.dir, name);

let demo: JsonValue;

beforeAll(() => {
  for (const name of ['x86_64-4level-kernel', 'x86_64-la57-kernel', 'aarch64-kernel']) {
    writeFileSync(file(`${name}.elf`), gunzipSync(readFileSync(join(FIXTURES, name, 'core.elf.gz'))));
  }
  writeFileSync(
    file('x86_64-4level-kernel.kdump'),
    gunzipSync(readFileSync(join(FIXTURES, 'x86_64-4level-kernel', 'core.kdump.gz'))),
  );
  const core = readFileSync(file('x86_64-4level-kernel.elf'));
  writeFileSync(file('truncated.elf'), core.subarray(0, 100_000));
  // The QEMU note: {namesz 5, descsz, type 0}, "QEMU\0" padded to 8, then QEMUCPUState (CR0 at +392).
  const qemu = core.indexOf(Buffer.from('QEMU\0\0\0\0', 'latin1'));
  const noPaging = Buffer.from(core);
  noPaging.writeBigUInt64LE(0x11n, qemu + 8 + 392);
  writeFileSync(file('no-paging.elf'), noPaging);
  // QEMU writes e_machine EM_386 (3) for a guest whose first CPU has EFER.LMA = 0, whatever the ELF class.
  const i386 = Buffer.from(core);
  i386.writeUInt16LE(3, 18);
  writeFileSync(file('i386.elf'), i386);
  // The same core without its QEMU note (renamed): the root must come from VMCOREINFO.
  const noNote = Buffer.from(core);
  noNote.write('QEMX', qemu, 'latin1');
  writeFileSync(file('no-note.elf'), noNote);
  demo = ptmInJson(['demo', '--arch', 'x86_64', '--save-image', file('demo.img')]).modes[0];
  const ram = readFileSync(file('demo.img'));
  writeFileSync(file('low.img'), ram.subarray(0, 0x10_0000));
  writeFileSync(file('high.img'), ram.subarray(0x10_0000));
  // LiME: one 32-byte header per range {magic "EMiL", version 1, start, end (inclusive), reserved}, then the bytes.
  const head = Buffer.alloc(32);
  head.writeUInt32LE(0x4c69_4d45, 0);
  head.writeUInt32LE(1, 4);
  head.writeBigUInt64LE(0n, 8);
  head.writeBigUInt64LE(BigInt(ram.length - 1), 16);
  writeFileSync(file('demo.lime'), Buffer.concat([head, ram]));
});

afterAll(() => tmp.cleanup());

describe('QEMU ELF cores', () => {
  it('need no --arch and no --root: the root and mode come from the QEMU note', async () => {
    const r = await ptm(['dump', '--image', file('x86_64-4level-kernel.elf'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.mode).toBe('x86_64');
    expect(d.input).toMatchObject({ format: 'elf64', machine: 'x86_64' });
    expect(d.input.description).toMatch(/^ELF64 core \(EM_X86_64, 27 PT_LOAD/);
    expect(d.input.regions.length).toBeGreaterThan(1);
    expect(d.root.source).toBe('qemu-note');
    expect(d.root.paddr).toBe('0x2620000');
    expect(d.root.detail).toContain('CR3 0x2620000');
    expect(d.mappings.length).toBeGreaterThan(60_000);
    // KPTI: user text is executable in its PTE but NX one level up.
    expect(d.summary.restrictedLeaves).toBeGreaterThan(0);
    expect(d.mappings[0]).toMatchObject({ flags: ['READ', 'USER'], leafFlags: ['READ', 'EXECUTE', 'USER'] });
    // Explicit options override the note and walk the same tables.
    const same = ptmInJson([
      'dump',
      '--arch',
      'x86_64',
      '--image',
      file('x86_64-4level-kernel.elf'),
      '--cr3',
      '0x2620000',
    ]);
    expect(same.root.source).toBe('option');
    expect(same.mappings).toEqual(d.mappings);
  });

  it('say the format and the root in the human header', () => {
    const r = ptmIn(['stats', '--image', file('x86_64-4level-kernel.elf')]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(
      /root from the QEMU register note: CPU 0 of 1: CR0 0x80050033, CR3 0x2620000, .* image .*: ELF64 core \(EM_X86_64/,
    );
    // PTI: the kernel's copy of the user tables sets NX one level above the leaf; stats counts effective flags.
    const restricted = ptmInJson(['stats', '--image', file('x86_64-4level-kernel.elf')]).restrictedLeaves;
    expect(restricted).toBeGreaterThan(0);
    expect(r.stdout).toContain(
      `flags are the effective ones: ${restricted} leaves allow less than their own bits say (a table entry above restricts it)`,
    );
  });

  it('pick 5-level paging from CR4.LA57', () => {
    const d = ptmInJson(['stats', '--image', file('x86_64-la57-kernel.elf')]);
    expect(d.mode).toBe('x86_64-la57');
    expect(d.levels).toBe(5);
    expectError(
      ptmIn(['dump', '--arch', 'x86_64', '--levels', '4', '--image', file('x86_64-la57-kernel.elf')]),
      2,
      /uses x86_64 5-level paging \(CR4\.LA57 = 1\); --arch\/--levels say x86_64/,
    );
  });

  it('refuse a CPU the core does not have, --ram-base, a non-core ELF and a truncated core', async () => {
    expectError(
      ptmIn(['dump', '--image', file('x86_64-4level-kernel.elf'), '--cpu', '3']),
      2,
      /--cpu 3: the core has 1 CPU \(0\)/,
    );
    expectError(
      ptmIn(['dump', '--image', file('x86_64-4level-kernel.elf'), '--cpu', 'x']),
      2,
      /--cpu: 'x' is not a CPU number/,
    );
    expectError(
      ptmIn(['dump', '--image', file('x86_64-4level-kernel.elf'), '--ram-base', '0x1000']),
      2,
      /--ram-base is for raw images/,
    );
    // The node binary itself: an ELF executable, not a core.
    const [exe, cut] = await Promise.all([
      ptm(['dump', '--image', process.execPath]),
      ptm(['dump', '--image', file('truncated.elf')]),
    ]);
    expectError(exe, 1, /cannot read .*: not a core dump: an ELF64 ET_(EXEC|DYN) .*expected e_type ET_CORE/);
    expectError(cut, 1, /cannot read .*truncated\.elf: truncated: PT_LOAD \d+ .* but the file ends at 0x186a0/);
  });

  it('refuse a CPU with paging off', () => {
    expectError(
      ptmIn(['dump', '--image', file('no-paging.elf')]),
      1,
      /CPU 0 of the core had paging off \(CR0\.PG = 0; CR0 0x11, CR3 0x2620000/,
    );
  });

  it('refuse the core of a guest not in long mode (EM_386) in one line, for every image command', () => {
    for (const command of ['dump', 'stats', 'translate', 'find-pa']) {
      const extra = command === 'translate' || command === 'find-pa' ? ['0x1000'] : [];
      expectError(
        ptmIn([command, '--image', file('i386.elf'), ...extra]),
        1,
        /^ptm: error: the core is an ELF64 core \(EM_386[^)]*\): CPU 0 was not in long mode \(EFER\.LMA = 0; CR0 0x[0-9a-f]+, CR3 0x2620000, CR4 0x[0-9a-f]+\); ptm walks x86_64 4- and 5-level tables/,
      );
    }
  });

  it('take the kernel root from VMCOREINFO without a register note', () => {
    const d = ptmInJson(['dump', '--image', file('no-note.elf')]);
    expect(d.root.source).toBe('vmcoreinfo');
    expect(d.root.detail).toMatch(
      /^SYMBOL\(init_top_pgt\)=0xffffffff[0-9a-f]+ - __START_KERNEL_map 0xffffffff80000000 \+ NUMBER\(phys_base\)=0x[0-9a-f]+$/,
    );
    expect(d.mode).toBe('x86_64');
    // The kernel's own table maps the kernel image and no user pages.
    expect(d.mappings.some((m: JsonValue) => m.va.startsWith('0xffffffff8'))).toBe(true);
    expect(
      d.mappings.some((m: JsonValue) => (m.leafFlags ?? m.flags).includes('USER') && BigInt(m.va) < 0x8000_0000_0000n),
    ).toBe(false);
  });

  it('translate and find-pa read the same memory', () => {
    const t = ptmInJson(['translate', '--image', file('x86_64-4level-kernel.elf'), '0x401000']);
    expect(t.translations[0].mapped).toBe(true);
    const pa = t.translations[0].pa;
    const hits = ptmInJson(['find-pa', '--image', file('x86_64-4level-kernel.elf'), pa]).hits as JsonValue[];
    expect(hits.map((h) => h.va)).toContain('0x401000');
  });
});

describe('kdump and AArch64 cores', () => {
  it("reads QEMU's kdump-zlib core as the same memory and registers as its ELF core", () => {
    const k = ptmInJson(['dump', '--image', file('x86_64-4level-kernel.kdump')]);
    expect(k.input.format).toBe('kdump-flattened');
    expect(k.root).toMatchObject({ paddr: '0x2620000', source: 'qemu-note' });
    expect(k.mappings).toEqual(ptmInJson(['dump', '--image', file('x86_64-4level-kernel.elf')]).mappings);
  });

  it('finds the AArch64 kernel table from VMCOREINFO: the BADDR of the live TTBR1_EL1', () => {
    const regs = JSON.parse(readFileSync(join(FIXTURES, 'aarch64-kernel', 'system-registers.json'), 'utf8'));
    const r = ptmIn(['dump', '--image', file('aarch64-kernel.elf'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no --mair');
    const d = JSON.parse(r.stdout);
    expect(d.root.source).toBe('vmcoreinfo');
    expect(BigInt(d.root.paddr)).toBe(BigInt(regs.TTBR1_EL1) & 0xffff_ffff_f000n);
    expect(d.upper).toBe(true);
    const upper = (m: JsonValue) => BigInt(m.va) >= 0xffff_0000_0000_0000n;
    expect(d.mappings.every(upper)).toBe(true);
    // The registers whole, as `info registers` shows them: both halves, VA size from TCR, memory types from MAIR.
    const whole = ptmInJson([
      'dump',
      '--image',
      file('aarch64-kernel.elf'),
      '--ttbr0',
      regs.TTBR0_EL1,
      '--ttbr1',
      regs.TTBR1_EL1,
      '--tcr',
      regs.TCR_EL1,
      '--mair',
      regs.MAIR_EL1,
    ]);
    expect(whole.tables.map((t: JsonValue) => t.upper)).toEqual([false, true]);
    // The same TTBR1 pages (memory types split some runs further).
    const upperBytes = whole.mappings.filter(upper).reduce((n: bigint, m: JsonValue) => n + BigInt(m.size), 0n);
    expect(upperBytes).toBe(BigInt(d.summary.mappedBytes));
    expect(whole.mappings.some((m: JsonValue) => !upper(m) && m.flags.includes('USER'))).toBe(true);
    expect(whole.mappings.some((m: JsonValue) => m.flags.includes('DEVICE'))).toBe(true);
  });
});

describe('raw regions', () => {
  it('reads FILE@PA regions as one physical memory', () => {
    const root = demo.tables[0].root;
    const whole = ptmInJson(['dump', '--arch', 'x86_64', '--image', file('demo.img'), '--root', root]);
    const split = ptmInJson([
      'dump',
      '--arch',
      'x86_64',
      '--image',
      `${file('low.img')}@0x0`,
      '--image',
      `${file('high.img')}@0x100000`,
      '--root',
      root,
    ]);
    expect(split.mappings).toEqual(whole.mappings);
    expect(split.input.format).toBe('raw');
    expect(split.input.regions).toEqual([
      { paddr: '0x0', size: '0x100000', stored: '0x100000' },
      { paddr: '0x100000', size: '0x100000', stored: '0x100000' },
    ]);
    expectError(
      ptmIn(['dump', '--arch', 'x86_64', '--image', file('low.img'), '--image', file('high.img'), '--root', root]),
      2,
      /give each one as FILE@PA/,
    );
    expectError(
      ptmIn(['dump', '--arch', 'x86_64', '--image', `${file('low.img')}@0x10`, '--root', root]),
      2,
      /the PA is not 4 KiB aligned/,
    );
    expectError(
      ptmIn(['dump', '--arch', 'x86_64', '--image', `${file('demo.lime')}@0x0`, '--root', root]),
      2,
      /is for raw regions; .*demo\.lime is a lime dump/,
    );
    expectError(
      ptmIn(['dump', '--arch', 'x86_64', '--image', `${file('low.img')}@0x0`, '--root', root]),
      1,
      /root 0x100000 is outside the image \(0x0\.\.0x100000, 1 MiB\)/,
    );
  });

  it('reads a LiME image as the same memory, format detected', () => {
    const root = demo.tables[0].root;
    const d = ptmInJson(['dump', '--arch', 'x86_64', '--image', file('demo.lime'), '--root', root]);
    expect(d.input.format).toBe('lime');
    expect(d.mappings).toEqual(
      ptmInJson(['dump', '--arch', 'x86_64', '--image', file('demo.img'), '--root', root]).mappings,
    );
    expect(
      ptmIn(['stats', '--arch', 'x86_64', '--image', file('demo.lime'), '--root', root]).stdout.split('\n')[0],
    ).toMatch(/image .*demo\.lime: LiME/i);
  });

  it('still needs a root for a raw image', () => {
    expectError(ptmIn(['dump', '--image', file('demo.img')]), 2, /ptm dump needs --root PA/);
    expectError(
      ptmIn(['dump', '--image', file('demo.img'), '--root', '0x100000']),
      2,
      /ptm dump needs --arch with --root/,
    );
  });
});
