/**
 * Cores written by QEMU 7.2's dump-guest-memory for Debian's 6.1 kernel (test/fixtures/README.md:
 * the notes are QEMU's byte for byte; the PT_LOADs are reduced to the page-table frames). Pins the
 * reader on what the real tool writes, against QEMU's own `info registers` and `gva2gpa` at the same stop.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X64PageTable, X64PageTable5 } from '@page-table/arch-x86_64';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bytesSource, FrameMemory, kernelRoot, openDump, vmcoreinfoSymbol } from '../src/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const dirs = readdirSync(FIXTURES)
  .filter((d) => d.startsWith('x86_64-'))
  .sort();

/** `NAME=hex` pairs of QEMU's `info registers` (CPU#0). */
function infoRegisters(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const m of text.matchAll(/\b([A-Z][A-Z0-9]*)\s*=\s*([0-9a-f]{8,16})\b/g))
    if (!out.has(m[1])) out.set(m[1].toLowerCase(), BigInt(`0x${m[2]}`));
  // Segment lines: `GS =0000 ffff8c590f800000 00000000 00000000` (selector, base, limit, flags).
  for (const m of text.matchAll(/^([ECSDFG]S) =([0-9a-f]{4}) ([0-9a-f]{16})/gm)) {
    out.set(m[1].toLowerCase(), BigInt(`0x${m[2]}`));
    out.set(`${m[1].toLowerCase()}_base`, BigInt(`0x${m[3]}`));
  }
  return out;
}

describe('QEMU 7.2 x86_64 cores of Debian 6.1', () => {
  it('has the four captures', () => {
    expect(dirs).toEqual(['x86_64-4level-kernel', 'x86_64-4level-user', 'x86_64-la57-kernel', 'x86_64-la57-user']);
  });

  for (const dir of dirs) {
    describe(dir, () => {
      const path = join(FIXTURES, dir);
      const core = gunzipSync(readFileSync(join(path, 'core.elf.gz')));
      const qemu = infoRegisters(readFileSync(join(path, 'registers.txt'), 'utf8'));
      const minimized = JSON.parse(readFileSync(join(path, 'minimized.json'), 'utf8')) as {
        roots: { what: string; root: string }[];
        loads: number;
      };
      const samples = JSON.parse(readFileSync(join(path, 'gva2gpa.json'), 'utf8')) as {
        va: string;
        pa: string | null;
      }[];
      const d = openDump(bytesSource(core));
      const la57 = dir.includes('la57');

      it('opens as an ELF64 x86_64 core with one CPU, VMCOREINFO and no warnings', () => {
        expect(d.format).toBe('elf64');
        expect(d.machine).toBe('x86_64');
        expect(d.description).toBe(`ELF64 core (EM_X86_64, ${minimized.loads} PT_LOAD, 1 CPU, VMCOREINFO)`);
        expect(d.warnings).toEqual([]);
        expect(d.cpus).toHaveLength(1);
      });

      it("reads the QEMU note's registers exactly as QEMU's info registers printed them", () => {
        const r = d.cpus[0].registers;
        for (const name of [
          'cr0',
          'cr2',
          'cr3',
          'cr4',
          'rip',
          'rsp',
          'rax',
          'rbx',
          'rcx',
          'rdx',
          'rsi',
          'rdi',
          'rbp',
          'r8',
          'r15',
        ]) {
          expect(r.get(name), name).toBe(qemu.get(name));
        }
        for (const seg of ['cs', 'ss', 'ds', 'es', 'fs', 'gs']) {
          expect(r.get(seg), seg).toBe(qemu.get(seg));
          expect(r.get(`${seg}_base`), `${seg}_base`).toBe(qemu.get(`${seg}_base`));
        }
        expect((r.get('cr4')! >> 12n) & 1n).toBe(la57 ? 1n : 0n); // CR4.LA57
        expect(r.get('cr0')! >> 31n).toBe(1n); // CR0.PG
        expect(r.has('efer')).toBe(false); // QEMUCPUState has no EFER: EM_X86_64 itself says long mode
      });

      it('places the note registers at the QEMUCPUState offsets (CR3 at +416 of the QEMU descriptor)', () => {
        const at = Buffer.from(core).indexOf(Buffer.from('QEMU\0\0\0\0', 'latin1'));
        expect(at).toBeGreaterThan(0);
        const v = new DataView(core.buffer, core.byteOffset);
        const desc = at + 8;
        expect(v.getUint32(at - 12, true)).toBe(5); // namesz "QEMU\0"
        expect(v.getUint32(desc, true)).toBe(1); // version
        expect([432, 440]).toContain(v.getUint32(desc + 4, true)); // size
        expect(v.getBigUint64(desc + 416, true)).toBe(qemu.get('cr3'));
        expect(v.getBigUint64(desc + 392, true)).toBe(qemu.get('cr0'));
        expect(v.getBigUint64(desc + 424, true)).toBe(qemu.get('cr4'));
      });

      it('derives the kernel root from VMCOREINFO, and that root maps init_top_pgt onto itself', () => {
        const info = d.vmcoreinfo!;
        expect(info.fields.get('OSRELEASE')).toBe('6.1.0-57-amd64');
        const k = kernelRoot(info, 'x86_64')!;
        expect(k.vaBits).toBe(la57 ? 57 : 48);
        expect(`0x${k.root.toString(16)}`).toBe(minimized.roots.find((x) => x.what.startsWith('VMCOREINFO'))!.root);
        const mem = new FrameMemory(d.frames);
        const pt = la57 ? X64PageTable5.fromRoot(mem, k.root) : X64PageTable.fromRoot(mem, k.root);
        expect(pt.query(vmcoreinfoSymbol(info, 'init_top_pgt')!)?.paddr).toBe(Number(k.root));
      });

      it("translates every gva2gpa sample as QEMU did, from the note's CR3 through FrameMemory", () => {
        const mem = new FrameMemory(d.frames, { cacheFrames: 32 });
        const cr3 = d.cpus[0].registers.get('cr3')! & 0x000ffffffffff000n;
        const pt = la57 ? X64PageTable5.fromRoot(mem, cr3) : X64PageTable.fromRoot(mem, cr3);
        let mapped = 0;
        for (const s of samples) {
          const got = pt.query(BigInt(s.va));
          expect(got === undefined ? null : `0x${got.paddr.toString(16)}`, s.va).toBe(s.pa);
          if (s.pa !== null) mapped++;
        }
        expect(mapped).toBeGreaterThan(100);
      });
    });
  }
});

describe('QEMU 7.2 kdump-zlib cores (flattened) of the same stops', () => {
  for (const dir of readdirSync(FIXTURES)
    .filter((d) => existsSync(join(FIXTURES, d, 'core.kdump.gz')))
    .sort()) {
    it(`${dir}: same machine, registers, VMCOREINFO and table frames as the ELF core`, () => {
      const path = join(FIXTURES, dir);
      const elf = openDump(bytesSource(gunzipSync(readFileSync(join(path, 'core.elf.gz')))));
      const k = openDump(bytesSource(gunzipSync(readFileSync(join(path, 'core.kdump.gz')))));
      expect(k.format).toBe('kdump-flattened');
      expect(k.description).toContain('zlib');
      expect(k.machine).toBe(elf.machine); // aarch64 from NT_PRSTATUS: QEMU writes utsname.machine "Unknown"
      expect(k.description).toContain(elf.machine === 'aarch64' ? '65536-byte pages' : '4096-byte pages');
      expect(k.cpus.map((c) => Object.fromEntries(c.registers))).toEqual(
        elf.cpus.map((c) => Object.fromEntries(c.registers)),
      );
      expect(k.vmcoreinfo?.fields).toEqual(elf.vmcoreinfo?.fields);
      const a = new Uint8Array(4096);
      const b = new Uint8Array(4096);
      let frames = 0;
      for (const r of elf.regions) {
        for (let f = Number(r.paddr / 4096n); f < Number((r.paddr + r.size) / 4096n); f++) {
          expect(elf.frames.readFrame(f, a)).toBe(true);
          expect(k.frames.readFrame(f, b), `frame ${f.toString(16)}`).toBe(true);
          expect(Buffer.from(a).equals(Buffer.from(b)), `frame ${f.toString(16)}`).toBe(true);
          frames++;
        }
      }
      expect(frames).toBeGreaterThan(20);
    });
  }
});

describe('QEMU 7.2 AArch64 cores of Debian 6.1 (cortex-a57, KASLR)', () => {
  for (const dir of readdirSync(FIXTURES)
    .filter((d) => d.startsWith('aarch64-'))
    .sort()) {
    it(`${dir}: NT_PRSTATUS registers as info registers printed them; swapper_pg_dir - kimage_voffset is TTBR1_EL1 at EL1`, () => {
      const path = join(FIXTURES, dir);
      const d = openDump(bytesSource(gunzipSync(readFileSync(join(path, 'core.elf.gz')))));
      expect(d.machine).toBe('aarch64');
      expect(d.warnings).toEqual([]);
      const text = readFileSync(join(path, 'registers.txt'), 'utf8');
      const reg = (name: string) => BigInt(`0x${new RegExp(`\\b${name}=([0-9a-f]{16})`).exec(text)![1]}`);
      const r = d.cpus[0].registers;
      expect(r.get('pc')).toBe(reg('PC'));
      for (const x of [0, 1, 2, 5, 29, 30]) expect(r.get(`x${x}`), `x${x}`).toBe(reg(`X${String(x).padStart(2, '0')}`));
      const sys = JSON.parse(readFileSync(join(path, 'system-registers.json'), 'utf8')) as Record<string, string>;
      const k = kernelRoot(d.vmcoreinfo!, 'aarch64')!;
      expect(k.vaBits).toBe(64 - Number((BigInt(sys.TCR_EL1) >> 16n) & 0x3fn)); // TCR_EL1.T1SZ
      const ttbr1 = BigInt(sys.TTBR1_EL1) & 0x0000_ffff_ffff_fffen; // BADDR (ASID above bit 48, CnP at bit 0)
      if (dir.endsWith('-kernel')) expect(k.root).toBe(ttbr1);
      else expect(k.root - ttbr1).toBe(0x2000n); // at EL0 under KPTI, TTBR1 holds the trampoline/user table next to swapper_pg_dir
    });
  }
});
