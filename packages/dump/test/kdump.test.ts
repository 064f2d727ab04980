import { describe, expect, it } from 'vitest';
import { bytesSource, DumpError, detectFormat, FlattenedSource, type OpenedDump, openDump } from '../src/index.js';
import {
  flatten,
  type KdumpSpec,
  kdumpFile,
  noise,
  note,
  prstatusAarch64,
  prstatusI386,
  prstatusX86_64,
  qemuCpuState,
} from './build.js';

const F = 4096;
const VMCI = 'OSRELEASE=6.1.0-18-amd64\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff82a0a000\nNUMBER(phys_base)=0\n';

/** 64 pages of RAM with a hole at 16..31; pages 8..11 excluded (RAM, not dumped); compressible and random pages. */
function spec(over: Partial<KdumpSpec> = {}): KdumpSpec {
  const ram = [...Array.from({ length: 16 }, (_, i) => i), ...Array.from({ length: 32 }, (_, i) => 32 + i)];
  const pages = new Map<number, Uint8Array>();
  for (const p of ram) {
    if (p >= 8 && p < 12) continue;
    pages.set(p, p % 3 === 0 ? noise(F, p) : new Uint8Array(F).fill(p)); // incompressible / compressible
  }
  const notes = new Uint8Array([
    ...note('CORE', 1, prstatusX86_64(0, 0xffffffff81000000n, 0n)),
    ...note('QEMU', 0, qemuCpuState({ cr0: 0x80050033n, cr3: 0x2a0a000n, cr4: 0x1006f0n })),
  ]);
  return { maxMapnr: 64, ram, pages, notes, vmcoreinfo: VMCI, ...over };
}

function checkPages(d: OpenedDump, s: KdumpSpec) {
  const out = new Uint8Array(F);
  const fpp = (s.blockSize ?? F) / F;
  for (let f = 0; f < s.maxMapnr * fpp + 4; f++) {
    const pfn = Math.floor(f / fpp);
    const got = d.frames.readFrame(f, out);
    expect(got, `frame ${f}`).toBe(s.ram.includes(pfn));
    if (!got) continue;
    const page = s.pages.get(pfn);
    const want = page === undefined ? new Uint8Array(F) : page.subarray((f % fpp) * F, ((f % fpp) + 1) * F);
    expect(Buffer.from(out).equals(Buffer.from(want)), `frame ${f}`).toBe(true);
  }
}

describe('kdump-compressed, seekable', () => {
  it('reads zlib pages, raw pages, excluded pages as zero, holes as unbacked, notes and VMCOREINFO', () => {
    const s = spec();
    const file = kdumpFile(s);
    const src = bytesSource(file);
    expect(detectFormat(src)).toBe('kdump');
    const d = openDump(src);
    expect(d.format).toBe('kdump');
    expect(d.machine).toBe('x86_64');
    expect(d.description).toBe(
      'kdump-compressed core (seekable, zlib, x86_64, 6.1.0-test, 4096-byte pages, 44 dumped, 1 CPU, VMCOREINFO)',
    );
    expect(d.regions).toEqual([
      { paddr: 0n, size: 0x10000n, stored: 0xc000n },
      { paddr: 0x20000n, size: 0x20000n, stored: 0x20000n },
    ]);
    expect(d.cpus[0].registers.get('cr3')).toBe(0x2a0a000n);
    expect(d.cpus[0].registers.get('rip')).toBe(0n); // the QEMU note's rip (0) wins over NT_PRSTATUS
    expect(d.vmcoreinfo?.fields.get('SYMBOL(init_top_pgt)')).toBe('ffffffff82a0a000');
    checkPages(d, s);
  });

  it('reads snappy pages (snappyjs) and uncompressed files', () => {
    for (const compression of ['snappy', 'none'] as const) {
      const s = spec({ compression });
      const d = openDump(bytesSource(kdumpFile(s)));
      expect(d.description).toContain(compression === 'none' ? 'uncompressed' : 'snappy');
      checkPages(d, s);
    }
  });

  it('reads 16 KiB pages as four frames each, and the 32-bit header layout', () => {
    const big = new Map<number, Uint8Array>([
      [0, noise(16384, 1)],
      [2, new Uint8Array(16384).fill(7)],
    ]);
    const s = spec({
      blockSize: 16384,
      maxMapnr: 4,
      ram: [0, 1, 2],
      pages: big,
      machine: 'aarch64',
      notes: new Uint8Array(0),
    });
    const d = openDump(bytesSource(kdumpFile(s)));
    expect(d.machine).toBe('aarch64');
    expect(d.regions).toEqual([{ paddr: 0n, size: 0xc000n, stored: 0x8000n }]);
    checkPages(d, s);
    const s32 = spec({ bits: 32, machine: 'i686' });
    const d32 = openDump(bytesSource(kdumpFile(s32)));
    expect(d32.machine).toBe('i386');
    expect(d32.vmcoreinfo?.fields.get('OSRELEASE')).toBe('6.1.0-18-amd64');
    checkPages(d32, s32);
  });

  it('says i386 for an x86 guest not in long mode (utsname says x86_64, NT_PRSTATUS is the i386 layout)', () => {
    const notes = new Uint8Array([
      ...note('CORE', 1, prstatusI386(0, 0xfff0, 0)),
      ...note('QEMU', 0, qemuCpuState({ cr0: 0x60000010n, cr3: 0n, cr4: 0n })),
    ]);
    const d = openDump(bytesSource(kdumpFile(spec({ notes }))));
    expect(d.machine).toBe('i386');
    expect(d.cpus[0].registers.get('eip')).toBe(0xfff0n);
    expect(d.cpus[0].registers.get('cr0')).toBe(0x60000010n);
  });

  it('takes the machine from NT_PRSTATUS when utsname says "Unknown" (QEMU for non-x86 guests)', () => {
    const notes = note('CORE', 1, prstatusAarch64(0x40080000n, 0n));
    const d = openDump(
      bytesSource(
        kdumpFile(
          spec({
            notes,
            machine: 'Unknown',
            blockSize: 65536,
            maxMapnr: 4,
            ram: [0, 1],
            pages: new Map([[1, noise(65536, 3)]]),
          }),
        ),
      ),
    );
    expect(d.machine).toBe('aarch64');
    expect(d.description).toContain('aarch64, 6.1.0-test, 65536-byte pages');
    expect(d.cpus[0].registers.get('pc')).toBe(0x40080000n);
  });

  it('refuses lzo in one line naming it', () => {
    const e = (() => {
      try {
        openDump(bytesSource(kdumpFile(spec({ compression: 'lzo' }))));
      } catch (x) {
        return x as DumpError;
      }
    })();
    expect(e).toBeInstanceOf(DumpError);
    expect(e?.kind).toBe('Unsupported');
    expect(e?.message).toMatch(/^kdump core compressed with lzo: /);
    expect(e?.message).not.toContain('\n');
  });

  it('says truncated, and where, for a file cut at any header, bitmap, descriptor or page boundary', () => {
    const file = kdumpFile(spec());
    const cuts = [
      8,
      100,
      463,
      4096,
      4096 + 50,
      8192,
      8192 + 4095,
      12288,
      12288 + 4096,
      16384,
      16384 + 24 * 44 - 1,
      file.length - 1,
    ];
    for (const l of cuts) {
      let err: unknown;
      try {
        const d = openDump(bytesSource(file.subarray(0, l)));
        const out = new Uint8Array(F);
        for (let f = 0; f < 64; f++) d.frames.readFrame(f, out); // a cut in the page data shows on reading
      } catch (x) {
        err = x;
      }
      expect(err, `cut at ${l}`).toBeInstanceOf(DumpError);
      expect((err as DumpError).kind, `cut at ${l}`).toBe('Truncated');
    }
  });

  it('reports a corrupt page and an inconsistent header', () => {
    const file = kdumpFile(spec());
    const v = new DataView(file.buffer);
    const desc0 = 16384;
    const broken = file.slice();
    const bv = new DataView(broken.buffer);
    const off = Number(bv.getBigUint64(desc0 + 24, true)); // page 1: compressible, zlib
    broken[off + 2] ^= 0xff;
    broken[off + 3] ^= 0xff;
    const d = openDump(bytesSource(broken));
    expect(() => d.frames.readFrame(1, new Uint8Array(F))).toThrow(/pfn 0x1: invalid zlib data|decompresses to/);
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(428, 12345, true);
    new DataView(bad.buffer).setUint32(416, 12345, true);
    expect(() => openDump(bytesSource(bad))).toThrow(/no consistent block_size/);
    expect(v.getUint32(428, true)).toBe(4096);
  });
});

describe("kdump-compressed, makedumpfile's flattened stream (QEMU 7.2 dump-guest-memory -z)", () => {
  it('reassembles records in any order and reads exactly like the seekable file', () => {
    const s = spec();
    const file = kdumpFile(s);
    for (const order of ['sequential', 'reversed'] as const) {
      const stream = flatten(file, 5000, order);
      const src = bytesSource(stream);
      expect(detectFormat(src)).toBe('kdump-flattened');
      const flat = new FlattenedSource(src);
      expect(flat.size).toBe(file.length);
      const back = new Uint8Array(file.length);
      expect(flat.readAt(0, back)).toBe(file.length);
      expect(Buffer.from(back).equals(Buffer.from(file))).toBe(true);
      const d = openDump(src);
      expect(d.format).toBe('kdump-flattened');
      expect(d.description).toContain('flattened stream, zlib');
      checkPages(d, s);
    }
  });

  it('lets a later record overwrite an earlier one and reads unwritten gaps as zero', () => {
    const file = new Uint8Array(100).fill(1);
    const stream = flatten(file, 30, 'sequential', [
      { offset: 10, data: new Uint8Array(5).fill(9) },
      { offset: 200, data: new Uint8Array(4).fill(3) },
    ]);
    const flat = new FlattenedSource(bytesSource(stream));
    expect(flat.size).toBe(204);
    const out = new Uint8Array(204);
    flat.readAt(0, out);
    expect([...out.subarray(8, 17)]).toEqual([1, 1, 9, 9, 9, 9, 9, 1, 1]);
    expect(out.subarray(100, 200).every((b) => b === 0)).toBe(true);
    expect([...out.subarray(200)]).toEqual([3, 3, 3, 3]);
    expect(flat.readAt(204, out)).toBe(0);
  });

  it('says truncated without the end marker or inside a record, and refuses other versions', () => {
    const stream = flatten(kdumpFile(spec()), 5000);
    for (const l of [100, 4096, 4096 + 8, 4096 + 16 + 10, stream.length - 16, stream.length - 1]) {
      expect(() => new FlattenedSource(bytesSource(stream.subarray(0, l))), `cut at ${l}`).toThrow(/^truncated: /);
    }
    const v2 = stream.slice();
    new DataView(v2.buffer).setBigUint64(24, 2n, false);
    expect(() => openDump(bytesSource(v2))).toThrow(/version 2/);
  });
});
