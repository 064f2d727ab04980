import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesSource, DumpError, openDump } from '../src/index.js';
import { elfCore, flatten, kdumpFile, limeImage, noise, note, prstatusX86_64, qemuCpuState } from './build.js';

const notes = new Uint8Array([
  ...note('CORE', 1, prstatusX86_64(0, 1n, 2n)),
  ...note('QEMU', 0, qemuCpuState({ cr0: 0x80050033n, cr3: 0x1000n, cr4: 0x20n })),
  ...note('VMCOREINFO', 0, new TextEncoder().encode('OSRELEASE=6.1\n')),
]);
const pages = new Map([
  [0, noise(4096, 1)],
  [1, new Uint8Array(4096).fill(3)],
  [5, new Uint8Array(4096)],
]);
const kdump = kdumpFile({ maxMapnr: 8, ram: [0, 1, 2, 5], pages, notes });
const inputs: [string, Uint8Array][] = [
  [
    'ELF64',
    elfCore({
      class: 64,
      machine: 62,
      notes,
      segments: [
        { paddr: 0n, data: noise(0x2000, 2), memsz: 0x3000n },
        { paddr: 0x10000n, data: noise(0x1000, 3) },
      ],
    }).bytes,
  ],
  ['ELF32', elfCore({ class: 32, machine: 3, notes, segments: [{ paddr: 0x1000n, data: noise(0x1000, 4) }] }).bytes],
  ['kdump', kdump],
  ['flattened', flatten(kdump, 3000)],
  [
    'LiME',
    limeImage([
      { start: 0n, data: noise(0x1000, 5) },
      { start: 0x3000n, data: noise(0x800, 6) },
    ]),
  ],
];

/** Opens and reads every frame the dump has; returns the error, if any. */
function openAndRead(bytes: Uint8Array): unknown {
  try {
    const d = openDump(bytesSource(bytes));
    const out = new Uint8Array(4096);
    for (const r of d.regions.slice(0, 8)) {
      const first = Number(r.paddr / 4096n);
      const count = Math.min(16, Number((r.size + 4095n) / 4096n));
      for (let f = first; f < first + count; f++) d.frames.readFrame(f, out);
    }
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('hostile input', () => {
  for (const [name, bytes] of inputs) {
    it(`${name}: any corruption opens or throws a DumpError, never another error`, () => {
      expect(openAndRead(bytes)).toBeUndefined();
      fc.assert(
        fc.property(
          fc.array(fc.record({ at: fc.nat({ max: bytes.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
            minLength: 1,
            maxLength: 8,
          }),
          fc.option(fc.nat({ max: bytes.length }), { nil: undefined }),
          (patches, cut) => {
            const b = bytes.slice(0, cut ?? bytes.length);
            for (const p of patches) if (p.at < b.length) b[p.at] = p.value;
            const e = openAndRead(b);
            if (e !== undefined && !(e instanceof DumpError)) throw e;
            if (e instanceof DumpError) expect(e.message).not.toContain('\n');
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  it('header fields set to extremes never escape as RangeError', () => {
    const elf = inputs[0][1];
    for (let at = 0; at < 64 + 3 * 56; at += 4) {
      for (const v of [0xffffffff, 0x80000000, 0]) {
        const b = elf.slice();
        new DataView(b.buffer).setUint32(at, v, true);
        const e = openAndRead(b);
        if (e !== undefined && !(e instanceof DumpError)) throw e;
      }
    }
  });
});
