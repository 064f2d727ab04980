import { describe, expect, it } from 'vitest';
import { bytesSource, DumpError, detectFormat, FrameMemory, openDump } from '../src/index.js';
import { elfCore, noise, note, prstatusAarch64, prstatusI386, prstatusX86_64, qemuCpuState } from './build.js';

const F = 4096;
const EM_X86_64 = 62;
const EM_386 = 3;
const EM_AARCH64 = 183;

const VMCOREINFO =
  'OSRELEASE=6.1.0-18-amd64\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff9a40a000\nNUMBER(phys_base)=-448790528\nNUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=19000000\n';

/** A QEMU 7.2 q35-shaped x86_64 core: RAM split around the legacy holes, the BIOS high up, 2 CPUs. */
function x86Core() {
  const low = noise(0xc0000, 1);
  const high = noise(0x40000, 2);
  const notes = [
    note('CORE', 1, prstatusX86_64(0, 0xffffffff81000000n, 0xffffc90000003f00n)),
    note('CORE', 1, prstatusX86_64(1, 0xffffffff81000010n, 0xffffc90000007f00n)),
    note(
      'QEMU',
      0,
      qemuCpuState({
        cr0: 0x80050033n,
        cr3: 0x1a40a000n | 0x1n,
        cr4: 0x3506f0n,
        rip: 0xffffffff81000000n,
        kernelGsBase: 0x7f00n,
      }),
    ),
    note(
      'QEMU',
      0,
      qemuCpuState(
        { cr0: 0x80050033n, cr3: 0x2000000n, cr4: 0x3506f0n | 0x1000n, rip: 0xffffffff81000010n },
        { size: 432 },
      ),
    ),
    note('VMCOREINFO', 0, new TextEncoder().encode(VMCOREINFO)),
  ];
  const notesBytes = new Uint8Array(notes.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const n of notes) {
    notesBytes.set(n, at);
    at += n.length;
  }
  const core = elfCore({
    class: 64,
    machine: EM_X86_64,
    notes: notesBytes,
    segments: [
      { paddr: 0n, data: low },
      { paddr: 0xc0000n, data: new Uint8Array(0), memsz: 0x20000n }, // filtered: not stored, reads as zero
      { paddr: 0x100000n, data: high, memsz: 0x80000n }, // p_filesz < p_memsz
      { paddr: 0xfffc0000n, data: noise(0x40000, 3) },
    ],
  });
  return { ...core, low, high, notesBytes };
}

describe('ELF64 cores (QEMU dump-guest-memory)', () => {
  it('reads segments by p_paddr, zero tails, holes, every note field', () => {
    const { bytes, low, high } = x86Core();
    const src = bytesSource(bytes);
    expect(detectFormat(src)).toBe('elf64');
    const d = openDump(src);
    expect(d.format).toBe('elf64');
    expect(d.machine).toBe('x86_64');
    expect(d.description).toBe('ELF64 core (EM_X86_64, 4 PT_LOAD, 2 CPUs, VMCOREINFO)');
    expect(d.regions).toEqual([
      { paddr: 0n, size: 0xc0000n, stored: 0xc0000n },
      { paddr: 0xc0000n, size: 0x20000n, stored: 0n },
      { paddr: 0x100000n, size: 0x80000n, stored: 0x40000n },
      { paddr: 0xfffc0000n, size: 0x40000n, stored: 0x40000n },
    ]);
    expect(d.warnings).toEqual([]);
    const out = new Uint8Array(F);
    expect(d.frames.readFrame(0xbf, out)).toBe(true);
    expect([...out]).toEqual([...low.subarray(0xbf000, 0xc0000)]);
    expect(d.frames.readFrame(0xc5, out)).toBe(true);
    expect(out.every((b) => b === 0)).toBe(true);
    expect(d.frames.readFrame(0x100, out)).toBe(true);
    expect([...out]).toEqual([...high.subarray(0, F)]);
    expect(d.frames.readFrame(0x150, out)).toBe(true); // in p_memsz past p_filesz
    expect(out.every((b) => b === 0)).toBe(true);
    expect(d.frames.readFrame(0x180, out)).toBe(false); // hole
    expect(d.frames.readFrame(0xfffff, out)).toBe(true);
    expect(d.cpus).toHaveLength(2);
    const c0 = d.cpus[0].registers;
    expect(c0.get('cr0')).toBe(0x80050033n);
    expect(c0.get('cr3')).toBe(0x1a40a001n);
    expect(c0.get('cr4')).toBe(0x3506f0n);
    expect(c0.get('rip')).toBe(0xffffffff81000000n);
    expect(c0.get('kernel_gs_base')).toBe(0x7f00n);
    expect(c0.get('cs')).toBe(0x10n);
    expect(c0.get('rsp')).toBe(0n); // the QEMU note's copy wins over NT_PRSTATUS
    const c1 = d.cpus[1].registers;
    expect(c1.get('cr3')).toBe(0x2000000n);
    expect(c1.get('cr4')! & 0x1000n).toBe(0x1000n);
    expect(c1.has('kernel_gs_base')).toBe(false); // size 432: before kernel_gs_base existed
    expect(d.vmcoreinfo?.fields.get('OSRELEASE')).toBe('6.1.0-18-amd64');
    const mem = new FrameMemory(d.frames, { cacheFrames: 4 });
    const w = mem.frameWord(0x100);
    expect(mem.words[w]).toBe(new DataView(high.buffer).getUint32(0, true));
  });

  it('finds the QEMU note at the exact offsets QEMU writes (CR0 +392, CR3 +416, CR4 +424 of the descriptor)', () => {
    const { bytes, noteOffset } = x86Core();
    const prSize = 12 + 8 + 336;
    const desc = noteOffset + 2 * prSize + 12 + 8;
    const v = new DataView(bytes.buffer);
    expect(v.getUint32(desc, true)).toBe(1);
    expect(v.getUint32(desc + 4, true)).toBe(440);
    expect(v.getBigUint64(desc + 392, true)).toBe(0x80050033n);
    expect(v.getBigUint64(desc + 416, true)).toBe(0x1a40a001n);
    expect(v.getBigUint64(desc + 424, true)).toBe(0x3506f0n);
    // Changing CR3 in the file changes what the reader reports.
    v.setBigUint64(desc + 416, 0x1234000n, true);
    expect(openDump(bytesSource(bytes)).cpus[0].registers.get('cr3')).toBe(0x1234000n);
  });

  it('reads the real count from section header 0 when e_phnum is PN_XNUM (0x10000 segments)', () => {
    const segments = Array.from({ length: 0x10000 }, (_, i) => ({
      paddr: BigInt(i) * 0x1000n,
      data: i % 4096 === 7 ? noise(F, i) : new Uint8Array(0),
      memsz: 0x1000n,
    }));
    const { bytes } = elfCore({ class: 64, machine: EM_X86_64, notes: new Uint8Array(0), segments });
    expect(new DataView(bytes.buffer).getUint16(56, true)).toBe(0xffff);
    const d = openDump(bytesSource(bytes));
    expect(d.regions).toHaveLength(0x10000);
    const out = new Uint8Array(F);
    expect(d.frames.readFrame(4096 + 7, out)).toBe(true);
    expect([...out]).toEqual([...noise(F, 4096 + 7)]);
    expect(d.frames.readFrame(0xffff, out)).toBe(true);
    expect(d.frames.readFrame(0x10000, out)).toBe(false);
    // Forced PN_XNUM below 0xffff works too (the count is always in sh_info then).
    const small = elfCore({
      class: 64,
      machine: EM_X86_64,
      notes: new Uint8Array(0),
      segments: segments.slice(0, 3),
      forceXnum: true,
    });
    expect(openDump(bytesSource(small.bytes)).regions).toHaveLength(3);
  });

  it('tolerates overlapping segments from dump-guest-memory -p (several virtual ranges over one physical page)', () => {
    const page = noise(2 * F, 9);
    const { bytes } = elfCore({
      class: 64,
      machine: EM_X86_64,
      notes: new Uint8Array(0),
      segments: [
        { paddr: 0x200000n, vaddr: 0xffff888000200000n, data: page },
        { paddr: 0x200000n, vaddr: 0xffffffff80200000n, data: page },
        { paddr: 0x201000n, vaddr: 0x400000n, data: page.subarray(F) },
        { paddr: 0x1ff800n, vaddr: 0x7f0000000000n, data: new Uint8Array(0), memsz: 0x1000n }, // overlaps, stores nothing
      ],
    });
    const d = openDump(bytesSource(bytes));
    expect(d.warnings.some((w) => w.includes('-p'))).toBe(true);
    const out = new Uint8Array(F);
    expect(d.frames.readFrame(0x200, out)).toBe(true);
    expect([...out]).toEqual([...page.subarray(0, F)]); // stored bytes win over the zero claim
    expect(d.frames.readFrame(0x201, out)).toBe(true);
    expect([...out]).toEqual([...page.subarray(F)]);
    expect(d.frames.readFrame(0x1ff, out)).toBe(true);
    expect(out.subarray(0x800).every((b) => b === 0)).toBe(true);
  });
});

describe('ELF32 cores and other machines', () => {
  it('reads an EM_386 ELF32 core: i386 NT_PRSTATUS and the QEMU note in Elf32 notes', () => {
    const notes = new Uint8Array([
      ...note('CORE', 1, prstatusI386(0, 0xc0100000, 0xc1000000)),
      ...note('QEMU', 0, qemuCpuState({ cr0: 0x80000011n, cr3: 0x1c9000n, cr4: 0x10n, rip: 0xc0100000n })),
    ]);
    const mem = noise(0x10000, 5);
    const { bytes } = elfCore({
      class: 32,
      machine: EM_386,
      notes,
      segments: [{ paddr: 0n, data: mem, memsz: 0x20000n }],
    });
    const d = openDump(bytesSource(bytes));
    expect(d.format).toBe('elf32');
    expect(d.machine).toBe('i386');
    expect(d.description).toBe('ELF32 core (EM_386, 1 PT_LOAD, 1 CPU)');
    const r = d.cpus[0].registers;
    expect(r.get('eip')).toBe(0xc0100000n);
    expect(r.get('cs')).toBe(0x10n); // the note's selector (QEMU's copy)
    expect(r.get('cr3')).toBe(0x1c9000n);
    expect(r.get('cr0')).toBe(0x80000011n);
    expect(d.regions).toEqual([{ paddr: 0n, size: 0x20000n, stored: 0x10000n }]);
    const out = new Uint8Array(F);
    expect(d.frames.readFrame(0xf, out) && out[5] === mem[0xf005]).toBe(true);
  });

  it('reads an AArch64 core (NT_PRSTATUS only, no control registers) without warnings', () => {
    const notes = note('CORE', 1, prstatusAarch64(0xffff800008000000n, 0xffff80000a003f00n));
    const { bytes } = elfCore({
      class: 64,
      machine: EM_AARCH64,
      notes,
      segments: [{ paddr: 0x40000000n, data: noise(F, 1) }],
    });
    const d = openDump(bytesSource(bytes));
    expect(d.machine).toBe('aarch64');
    expect(d.cpus[0].registers.get('pc')).toBe(0xffff800008000000n);
    expect(d.cpus[0].registers.get('x30')).toBe(30n);
    expect(d.warnings).toEqual([]);
  });

  it('warns when an x86 core has no QEMU note, and when an NT_PRSTATUS layout is unknown', () => {
    const notes = new Uint8Array([
      ...note('CORE', 1, prstatusX86_64(0, 1n, 2n)),
      ...note('CORE', 1, new Uint8Array(100)),
    ]);
    const { bytes } = elfCore({ class: 64, machine: EM_X86_64, notes, segments: [] });
    const d = openDump(bytesSource(bytes));
    expect(d.warnings).toEqual([
      'ELF64 core has no PT_LOAD segment: no memory',
      'NT_PRSTATUS 1 has 100 bytes, not a layout known for x86_64: its registers are not read',
      'no QEMU CPU note: the control registers (CR0, CR3, CR4) are unknown',
    ]);
  });
});

describe('ELF errors', () => {
  const kind = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(DumpError);
      return [(e as DumpError).kind, (e as DumpError).message];
    }
    return ['none', ''];
  };

  it('refuses an ELF that is not a core (like /bin/ls) by name, in detection and when forced', () => {
    for (const [type, word] of [
      [2, 'ET_EXEC'],
      [3, 'ET_DYN'],
      [1, 'ET_REL'],
    ] as const) {
      const { bytes } = elfCore({ class: 64, machine: EM_X86_64, type, notes: new Uint8Array(0), segments: [] });
      const [k, msg] = kind(() => detectFormat(bytesSource(bytes)));
      expect(k).toBe('NotACore');
      expect(msg).toContain(word);
      expect(msg).toContain('EM_X86_64');
      expect(msg).toContain('ET_CORE');
      expect(kind(() => openDump(bytesSource(bytes), { format: 'elf64' }))[0]).toBe('NotACore');
    }
  });

  it('says truncated, and where, for a core cut at any byte before its end', () => {
    const { bytes } = x86Core();
    const headersEnd = bytes.length - 0xc0000 - 0x40000 - 0x40000;
    const cuts = [4, 16, 19, 20, 63, 64, 64 + 56, 64 + 5 * 56 - 1, 64 + 5 * 56];
    for (let l = 64 + 5 * 56; l < headersEnd; l += 37) cuts.push(l);
    cuts.push(headersEnd, headersEnd + 1, headersEnd + 0xc0000, bytes.length - 1);
    for (const l of cuts) {
      const [k, msg] = kind(() => openDump(bytesSource(bytes.subarray(0, l))));
      expect(k, `cut at ${l}`).toBe('Truncated');
      expect(msg).toMatch(/^truncated: .*0x/);
    }
    expect(kind(() => openDump(bytesSource(bytes)))[0]).toBe('none');
  });

  it('rejects wrong classes, program header sizes and impossible segments', () => {
    const { bytes } = x86Core();
    const bad = (patch: (v: DataView) => void) => {
      const b = bytes.slice();
      patch(new DataView(b.buffer));
      return kind(() => openDump(bytesSource(b)));
    };
    expect(bad((v) => v.setUint8(4, 3))).toEqual([
      'Corrupt',
      'ELF file with EI_CLASS 3: expected 1 (ELFCLASS32) or 2 (ELFCLASS64)',
    ]);
    expect(bad((v) => v.setUint16(54, 32, true))[1]).toContain('e_phentsize 32');
    expect(bad((v) => v.setBigUint64(64 + 56 + 32, 0x1000000n, true))[1]).toContain('more than its p_memsz'); // first PT_LOAD filesz > memsz
    expect(bad((v) => v.setBigUint64(64 + 56 + 24, 0xfffffffffffff000n, true))[1]).toContain('64-bit physical');
  });

  it('names an unknown QEMU note version and an impossible note size', () => {
    const core = (desc: Uint8Array) =>
      elfCore({ class: 64, machine: EM_X86_64, notes: note('QEMU', 0, desc), segments: [] }).bytes;
    const [k, msg] = kind(() =>
      openDump(bytesSource(core(qemuCpuState({ cr0: 0n, cr3: 0n, cr4: 0n }, { version: 2 })))),
    );
    expect(k).toBe('Unsupported');
    expect(msg).toContain('version 2');
    expect(msg).toContain('knows version 1');
    expect(kind(() => openDump(bytesSource(core(qemuCpuState({ cr0: 0n, cr3: 0n, cr4: 0n }, { size: 100 })))))[0]).toBe(
      'Corrupt',
    );
    const notes = note('QEMU', 0, new Uint8Array(4));
    expect(
      kind(() => openDump(bytesSource(elfCore({ class: 64, machine: EM_X86_64, notes, segments: [] }).bytes)))[0],
    ).toBe('Truncated');
    // A note whose descriptor runs past its PT_NOTE.
    const n = note('CORE', 1, new Uint8Array(336));
    new DataView(n.buffer).setUint32(4, 4000, true);
    const [k2, m2] = kind(() =>
      openDump(bytesSource(elfCore({ class: 64, machine: EM_X86_64, notes: n, segments: [] }).bytes)),
    );
    expect(k2).toBe('Truncated');
    expect(m2).toContain('note 0 of PT_NOTE 0');
  });
});
