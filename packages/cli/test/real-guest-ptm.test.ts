/**
 * `ptm` itself on the real-guest fixtures (see packages/dump/test/fixtures/README.md): `ptm dump
 * --image core` with no --arch and no --root (both from the core's QEMU note) must list exactly
 * the pages QEMU's `info tlb` lists, with the same PA and W/U/NX bits, and `ptm translate` must give
 * the PA QEMU's `gva2gpa` gave for every sample; on the ELF and on the kdump core alike. AArch64:
 * `ptm translate` with the TTBRs/TCR read from the gdbstub at the stop, checking the access as a
 * read by the EL the CPU was at, as QEMU's `gva2gpa` does (a permission fault is its "Unmapped").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ptmJson } from './helpers.js';
import { answer, captures, kdumpOf, parseInfoTlb } from './real-guest-fixtures.js';

const x86 = captures('x86_64-');
const arm = captures('aarch64-');
const tmp = mkdtempSync(join(tmpdir(), 'ptm-real-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PAGE: Record<string, bigint> = { '4K': 0x1000n, '2M': 0x20_0000n, '1G': 0x4000_0000n };

interface Row {
  va: string;
  pa: string;
  size: string;
  pageSize: string;
  flags: string[];
  leafFlags?: string[];
}

const hex = (v: bigint) => v.toString(16).padStart(16, '0');

describe.skipIf(x86.length === 0)('ptm on real x86_64 guests against QEMU 7.2', () => {
  for (const c of x86) {
    for (const kind of ['elf', 'kdump'] as const) {
      describe(`${c.name} (${kind} core)`, () => {
        const file = join(tmp, `${c.name}.${kind}`);
        writeFileSync(file, kind === 'elf' ? c.core : kdumpOf(c));

        it('dump: root from the QEMU note, every info tlb page with the same PA and W/U/NX, nothing else', async () => {
          const out = (await ptmJson(['dump', '--image', file])) as {
            input: { format: string };
            root: { paddr: string; source: string };
            mappings: Row[];
            summary: { complete: boolean };
          };
          expect(out.input.format).toBe(kind === 'elf' ? 'elf64' : 'kdump-flattened');
          expect(out.root.source).toBe('qemu-note');
          expect(out.summary.complete).toBe(true);
          const qemu = parseInfoTlb(answer(c, 'tlb.txt'));
          let pages = 0;
          const bad: string[] = [];
          for (const row of out.mappings) {
            const step = PAGE[row.pageSize];
            const own = row.leafFlags ?? row.flags;
            for (let off = 0n; off < BigInt(row.size); off += step) {
              pages++;
              const va = BigInt(row.va) + off;
              const q = qemu.get(va);
              const pa = BigInt(row.pa) + off;
              const same =
                q &&
                q.pa === pa &&
                q.write === own.includes('WRITE') &&
                q.user === own.includes('USER') &&
                q.nx === !own.includes('EXECUTE') &&
                q.large === step > 0x1000n;
              if (!same)
                bad.push(
                  `${hex(va)}: ptm ${hex(pa)} ${own.join('|')} ${row.pageSize}, QEMU ${q ? hex(q.pa) : 'nothing'}`,
                );
            }
          }
          expect(bad.slice(0, 5)).toEqual([]);
          expect(pages).toBe(qemu.size);
        });

        it('translate: every gva2gpa sample to the PA QEMU gave, unmapped where QEMU says so', async () => {
          const out = (await ptmJson(['translate', '--image', file, ...c.samples.map((s) => s.va)])) as {
            translations: { va: string; mapped: boolean; pa: string | null }[];
          };
          expect(out.translations.length).toBe(c.samples.length);
          const bad = c.samples.filter((s, i) => (out.translations[i].mapped ? out.translations[i].pa : null) !== s.pa);
          expect(bad.slice(0, 5)).toEqual([]);
        });
      });
    }
  }
});

describe.skipIf(arm.length === 0)('ptm on real aarch64 guests against QEMU 7.2', () => {
  for (const c of arm) {
    const sys = JSON.parse(readFileSync(join(c.dir, 'system-registers.json'), 'utf8')) as Record<string, string>;
    const regs = ['--ttbr0', sys.TTBR0_EL1, '--ttbr1', sys.TTBR1_EL1, '--tcr', sys.TCR_EL1, '--mair', sys.MAIR_EL1];
    const el0 = c.name.endsWith('-user');
    for (const kind of ['elf', 'kdump'] as const) {
      describe(`${c.name} (${kind} core)`, () => {
        const file = join(tmp, `${c.name}.${kind}`);
        writeFileSync(file, kind === 'elf' ? c.core : kdumpOf(c));

        it(`translate --access r${el0 ? ' --user' : ''}: every gva2gpa sample to QEMU's PA, a permission fault where QEMU says Unmapped; access-flag faults (QEMU's debug walk ignores AF) give the walk's PA`, async () => {
          const args = ['translate', '--image', file, ...regs, '--access', 'r'];
          const out = (await ptmJson([...args, ...(el0 ? ['--user'] : []), ...c.samples.map((s) => s.va)])) as {
            translations: {
              va: string;
              pa: string | null;
              access: { ok: boolean; pa: string | null; fault: { faultKind: string } | null };
            }[];
          };
          expect(out.translations.length).toBe(c.samples.length);
          // The one deliberate difference: Linux leaves AF clear on pages not touched since they were
          // mapped (TCR_EL1.HA = 0 on cortex-a57), so a real load takes an access-flag fault, which
          // ptm reports; QEMU 7.2's debug walk (gva2gpa) ignores AF and gives the PA, which is the
          // PA of ptm's walk.
          let accessFlag = 0;
          const ptmPa = (t: (typeof out.translations)[number]) => {
            if (t.access.ok) return t.access.pa;
            if (t.access.fault?.faultKind !== 'access-flag') return null;
            accessFlag++;
            return t.pa;
          };
          const bad = c.samples.filter((s, i) => ptmPa(out.translations[i]) !== s.pa);
          expect(bad.slice(0, 5)).toEqual([]);
          expect(accessFlag).toBeGreaterThan(0);
          const permissionFaults = out.translations.filter((t) => t.access.fault?.faultKind === 'permission').length;
          if (el0) expect(permissionFaults).toBeGreaterThan(0);
          else expect(permissionFaults).toBe(0);
        });
      });
    }
    if (!el0) {
      it(`${c.name}: dump --image finds the kernel root in VMCOREINFO (swapper_pg_dir), the TTBR1 of the stop`, async () => {
        const file = join(tmp, `${c.name}.root.elf`);
        writeFileSync(file, c.core);
        const out = (await ptmJson(['dump', '--image', file, '--mair', sys.MAIR_EL1])) as {
          root: { paddr: string; source: string };
        };
        expect(out.root.source).toBe('vmcoreinfo');
        expect(BigInt(out.root.paddr)).toBe(BigInt(sys.TTBR1_EL1) & 0xffff_ffff_f000n);
      });
    }
  }
});
