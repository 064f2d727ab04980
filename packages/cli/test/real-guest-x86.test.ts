/**
 * Debian's own 6.1 kernel under QEMU 7.2 (x86_64, TCG, q35, KASLR and PTI on, 5-level and 4-level
 * paging), stopped with a user process running: the library's walk of the captured tables must
 * agree with QEMU's own answers page for page. Fixtures and provenance:
 * packages/dump/test/fixtures/README.md.
 */

import { X64PageTable, X64PageTable5 } from '@page-table/arch-x86_64';
import { MappingFlags, type PagingError } from '@page-table/core';
import { kernelRoot } from '@page-table/dump';
import { describe, expect, it } from 'vitest';
import {
  answer,
  captures,
  kdumpOf,
  type Opened,
  openCapture,
  parseInfoMem,
  parseInfoTlb,
  type TlbPage,
} from './real-guest-fixtures.js';

const x86 = captures('x86_64-');

function table(o: Opened, root = o.cr3 & 0x000f_ffff_ffff_f000n) {
  return (o.cr4 & (1n << 12n)) !== 0n ? X64PageTable5.fromRoot(o.memory, root) : X64PageTable.fromRoot(o.memory, root);
}

/** Every leaf the library walks, keyed by VA: the PA and the leaf's own bits in `info tlb` terms, and the effective flags. */
function leaves(o: Opened) {
  const out = new Map<bigint, TlbPage & { size: number; effective: number }>();
  table(o).walk((e) => {
    if (!e.leaf) return;
    const own = e.leafFlags ?? e.flags;
    const va = BigInt(e.va);
    if (out.has(va)) throw new Error(`walk reports ${va.toString(16)} twice`);
    out.set(va, {
      pa: BigInt(e.paddr),
      nx: (own & MappingFlags.EXECUTE) === 0,
      user: (own & MappingFlags.USER) !== 0,
      write: (own & MappingFlags.WRITE) !== 0,
      large: e.level > 0,
      size: e.size,
      effective: e.flags,
    });
  });
  return out;
}

const hex = (v: bigint) => v.toString(16).padStart(16, '0');

describe.skipIf(x86.length === 0)('real x86_64 guests: the library against QEMU 7.2', () => {
  it('has the four captures (5-level and 4-level, CPU in user and in kernel mode)', () => {
    expect(x86.map((c) => c.name)).toEqual([
      'x86_64-4level-kernel',
      'x86_64-4level-user',
      'x86_64-la57-kernel',
      'x86_64-la57-user',
    ]);
  });

  for (const c of x86) {
    describe(c.name, () => {
      const o = openCapture(c);
      const la57 = c.name.includes('la57');

      it(`runs in ${la57 ? '5' : '4'}-level paging (CR4.LA57 = ${la57 ? 1 : 0}) with PTI`, () => {
        expect((o.cr4 >> 12n) & 1n).toBe(la57 ? 1n : 0n);
        expect(o.dump.format).toBe('elf64');
        expect(o.dump.machine).toBe('x86_64');
        // Under PTI the user-mode CR3 is the user copy of the PGD: bit 12 set.
        expect((o.cr3 >> 12n) & 1n).toBe(c.name.endsWith('-user') ? 1n : 0n);
      });

      it('finds the kernel root from VMCOREINFO (init_top_pgt - __START_KERNEL_map + phys_base) with KASLR', () => {
        const root = kernelRoot(o.dump.vmcoreinfo!, 'x86_64');
        const expected = c.minimized.roots.find((r) => r.what === 'VMCOREINFO init_top_pgt')!.root;
        expect(root && `0x${BigInt(root.root).toString(16)}`).toBe(expected);
        expect(
          BigInt(
            o.dump.vmcoreinfo!.fields.get('KERNELOFFSET') ? `0x${o.dump.vmcoreinfo!.fields.get('KERNELOFFSET')}` : 0,
          ),
        ).not.toBe(0n);
      });

      it('lists every `info tlb` page with the same PA and W/U/NX bits, and nothing else', () => {
        const qemu = parseInfoTlb(answer(c, 'tlb.txt'));
        const ours = leaves(o);
        const missing: string[] = [];
        const wrong: string[] = [];
        for (const [va, q] of qemu) {
          const p = ours.get(va);
          if (!p) missing.push(hex(va));
          else if (p.pa !== q.pa || p.nx !== q.nx || p.user !== q.user || p.write !== q.write || p.large !== q.large) {
            wrong.push(
              `${hex(va)}: QEMU ${JSON.stringify(q, (_k, v) => (typeof v === 'bigint' ? hex(v) : v))}, ours ${hex(p.pa)} nx=${p.nx} u=${p.user} w=${p.write}`,
            );
          }
        }
        const extra = [...ours.keys()].filter((va) => !qemu.has(va)).map(hex);
        expect({ missing: missing.slice(0, 5), wrong: wrong.slice(0, 5), extra: extra.slice(0, 5) }).toEqual({
          missing: [],
          wrong: [],
          extra: [],
        });
        expect(ours.size).toBe(qemu.size);
        expect(qemu.size).toBeGreaterThan(60000);
      });

      it('reads the kdump core QEMU wrote (-z: zlib, flattened) to the same registers and the same pages', () => {
        const k = openCapture(kdumpOf(c));
        expect(k.dump.format).toBe('kdump-flattened');
        expect(k.dump.machine).toBe('x86_64');
        expect([k.cr3, k.cr4]).toEqual([o.cr3, o.cr4]);
        expect(k.dump.vmcoreinfo?.raw).toBe(o.dump.vmcoreinfo?.raw);
        expect(leaves(k)).toEqual(leaves(o));
      });

      it('shows PTI as the CPU enforces it: NX in the kernel PGD above user leaves (effective NX, the leaf executable)', () => {
        const user = [...leaves(o)].filter(([va, p]) => va < 0x8000_0000_0000n && p.user);
        const leafX = user.filter(([, p]) => !p.nx);
        const effX = user.filter(([, p]) => (p.effective & MappingFlags.EXECUTE) !== 0);
        expect(leafX.length).toBeGreaterThan(0);
        // User mode runs on the user copy (bit 12 of CR3): its code is executable. The kernel's copy
        // of the same process's PGD has NX in the top-level entries of the user half.
        if (c.name.endsWith('-user')) expect(effX.length).toBe(leafX.length);
        else expect(effX.length).toBe(0);
      });

      it('lists the espfix area under every parent that reaches its shared PMD and PTE tables', () => {
        const qemu = parseInfoTlb(answer(c, 'tlb.txt'));
        // Linux's ESPFIX_BASE_ADDR: P4D entry -2 (-2 << 39) in both paging modes, 512 GiB.
        const base = 0xffff_ff00_0000_0000n;
        const inEspfix = (va: bigint) => va >= base && va < base + (1n << 39n);
        const qemuEspfix = [...qemu.keys()].filter(inEspfix).length;
        const ours = [...leaves(o).keys()].filter(inEspfix).length;
        expect(qemuEspfix).toBeGreaterThan(65000);
        expect(ours).toBe(qemuEspfix);
        const shared = table(o)
          .aliases()
          .filter((a) => a.reaches.length > 1 && a.reaches.every((r) => inEspfix(BigInt(r.va))));
        expect(shared.length).toBeGreaterThanOrEqual(2);
      });

      it('translates every gva2gpa sample to the PA QEMU gave (or unmapped where QEMU says so)', () => {
        const pt = table(o);
        const bad: string[] = [];
        for (const s of c.samples) {
          let pa: string | null;
          try {
            const r = pt.query(BigInt(s.va));
            pa = r ? `0x${BigInt(r.paddr).toString(16)}` : null;
          } catch (e) {
            // Non-canonical: a #GP on the CPU; QEMU says Unmapped.
            expect((e as PagingError).kind).toBe('InvalidAddress');
            pa = null;
          }
          if (pa !== s.pa) bad.push(`${s.va}: QEMU ${s.pa}, ours ${pa}`);
        }
        expect(bad).toEqual([]);
        expect(c.samples.length).toBeGreaterThan(600);
        expect(c.samples.some((s) => s.pa === null)).toBe(true);
        expect(c.samples.some((s) => BigInt(s.va) < 0x8000_0000_0000n && s.pa !== null)).toBe(true);
      });

      if (!la57) {
        it('gives the effective U/W `info mem` gives (QEMU ANDs them over every level), range for range', () => {
          const qemu = parseInfoMem(answer(c, 'mem.txt'));
          const ours: { start: bigint; end: bigint; user: boolean; write: boolean }[] = [];
          for (const [va, p] of [...leaves(o)].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
            const user = (p.effective & MappingFlags.USER) !== 0;
            const write = (p.effective & MappingFlags.WRITE) !== 0;
            const last = ours[ours.length - 1];
            if (last && last.end === va && last.user === user && last.write === write) last.end += BigInt(p.size);
            else ours.push({ start: va, end: va + BigInt(p.size), user, write });
          }
          expect(ours.length).toBe(qemu.length);
          expect(ours).toEqual(qemu);
        });
      } else {
        it('documents QEMU 7.2: `info mem` prints nothing under LA57 (its mem_info_la57 tests PG_PRESENT inverted), so effective U/W is checked through `info tlb` ranges only', () => {
          expect(answer(c, 'mem.txt')).toBe('');
        });
      }
    });
  }
});
