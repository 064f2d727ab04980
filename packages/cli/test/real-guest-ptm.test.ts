/**
 * `ptm` itself on the real-guest fixtures (see packages/dump/test/fixtures/README.md): `ptm dump
 * --image core` with no --arch and no --root (both from the core's QEMU note) must list exactly
 * the pages QEMU's `info tlb` lists, with the same PA and W/U/NX bits, and `ptm translate` must give
 * the PA QEMU's `gva2gpa` gave for every sample; on the ELF and on the kdump core alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ptmJson } from './helpers.js';
import { answer, captures, kdumpOf, parseInfoTlb } from './real-guest-fixtures.js';

const x86 = captures('x86_64-');
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
              if (!same) bad.push(`${hex(va)}: ptm ${hex(pa)} ${own.join('|')} ${row.pageSize}, QEMU ${q ? hex(q.pa) : 'nothing'}`);
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
