/**
 * Debian's own 6.1 arm64 kernel under QEMU 7.2 (virt, cortex-a57, TCG, KASLR on, so KPTI forced on),
 * stopped with the CPU at EL0 and at EL1: the library's translation through TTBR0_EL1 / TTBR1_EL1
 * (read from QEMU's gdbstub at the stop, as AArch64 cores carry no TTBR) must give the PA QEMU's
 * `gva2gpa` gave for every sample. Fixtures and provenance: packages/dump/test/fixtures/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { A64PageTable } from '@page-table/arch-aarch64';
import { MappingFlags, type PagingError } from '@page-table/core';
import { kernelRoot } from '@page-table/dump';
import { describe, expect, it } from 'vitest';
import { captures, kdumpOf, openCapture } from './real-guest-fixtures.js';

const arm = captures('aarch64-');
const BADDR = 0x0000_ffff_ffff_f000n;

describe.skipIf(arm.length === 0)('real aarch64 guests: the library against QEMU 7.2', () => {
  it('has both captures (EL0 and EL1)', () => {
    expect(arm.map((c) => c.name)).toEqual(['aarch64-kernel', 'aarch64-user']);
  });

  for (const c of arm) {
    describe(c.name, () => {
      const o = openCapture(c);
      const at = c.name.endsWith('-user') ? 'EL0' : 'EL1';
      const sys = JSON.parse(readFileSync(join(c.dir, 'system-registers.json'), 'utf8')) as Record<string, string>;
      const tcr = BigInt(sys.TCR_EL1);
      const lower = A64PageTable.fromRoot(o.memory, BigInt(sys.TTBR0_EL1) & BADDR, { range: 'lower' });
      const upper = A64PageTable.fromRoot(o.memory, BigInt(sys.TTBR1_EL1) & BADDR, { range: 'upper' });

      it('uses 48-bit VAs with 4 KiB granules in both halves (TCR_EL1 T0SZ = T1SZ = 16, TG0 = 4K, TG1 = 4K)', () => {
        expect(tcr & 0x3fn).toBe(16n);
        expect((tcr >> 16n) & 0x3fn).toBe(16n);
        expect((tcr >> 14n) & 3n).toBe(0n);
        expect((tcr >> 30n) & 3n).toBe(2n);
      });

      it('finds the kernel root from VMCOREINFO (swapper_pg_dir - kimage_voffset); at EL1 it is TTBR1, at EL0 KPTI has the trampoline there', () => {
        expect(o.dump.machine).toBe('aarch64');
        const root = kernelRoot(o.dump.vmcoreinfo!, 'aarch64');
        expect(root?.vaBits).toBe(48);
        const swapper = root!.root;
        if (c.name.endsWith('-kernel')) expect(swapper).toBe(BigInt(sys.TTBR1_EL1) & BADDR);
        else expect(swapper).not.toBe(BigInt(sys.TTBR1_EL1) & BADDR);
      });

      it('translates every gva2gpa sample to the PA QEMU gave (or unmapped where QEMU says so)', () => {
        const bad: string[] = [];
        let el0Denied = 0;
        for (const s of c.samples) {
          const va = BigInt(s.va);
          let pa: string | null;
          try {
            const r = (va >> 63n ? upper : lower).query(va);
            pa = r ? `0x${BigInt(r.paddr).toString(16)}` : null;
            // QEMU's gva2gpa translates as a read by the current EL and reports a permission fault
            // as "Unmapped": at EL0 it says so for every kernel-only page (KPTI's trampoline in TTBR1).
            if (r && s.pa === null && at === 'EL0' && !(r.flags & MappingFlags.USER)) {
              el0Denied++;
              continue;
            }
          } catch (e) {
            // A VA in neither range faults (translation fault, level 0): QEMU says Unmapped too.
            expect((e as PagingError).kind).toBe('InvalidAddress');
            pa = null;
          }
          if (pa !== s.pa) bad.push(`${s.va}: QEMU ${s.pa}, ours ${pa}`);
        }
        expect(bad).toEqual([]);
        if (at === 'EL0') expect(el0Denied).toBeGreaterThan(0);
        else expect(el0Denied).toBe(0);
        expect(c.samples.length).toBeGreaterThan(200);
        expect(c.samples.some((s) => s.pa === null)).toBe(true);
        expect(c.samples.some((s) => !(BigInt(s.va) >> 63n) && s.pa !== null)).toBe(true);
        expect(c.samples.some((s) => BigInt(s.va) >> 63n && s.pa !== null)).toBe(at === 'EL1');
      });

      it('reads the kdump core QEMU wrote (-z: zlib, flattened, 64 KiB pages) to the same mappings', () => {
        const k = openCapture(kdumpOf(c));
        expect(k.dump.format).toBe('kdump-flattened');
        // QEMU 7.2 writes "Unknown" as the utsname machine of an AArch64 kdump header (x86: "x86_64"):
        // the reader takes the machine from the NT_PRSTATUS note instead.
        const header = kdumpOf(c).subarray(4096 + 16);
        expect(new TextDecoder().decode(header.subarray(12 + 65 * 4, 12 + 65 * 4 + 7))).toBe('Unknown');
        expect(k.dump.machine).toBe('aarch64');
        expect(k.dump.vmcoreinfo?.raw).toBe(o.dump.vmcoreinfo?.raw);
        for (const [reg, range] of [
          ['TTBR0_EL1', 'lower'],
          ['TTBR1_EL1', 'upper'],
        ] as const) {
          const root = BigInt(sys[reg]) & BADDR;
          const fromElf = [...A64PageTable.fromRoot(o.memory, root, { range }).mappings()];
          expect(fromElf.length).toBeGreaterThan(0);
          expect([...A64PageTable.fromRoot(k.memory, root, { range }).mappings()]).toEqual(fromElf);
        }
      });
    });
  }
});
