/**
 * Debian's own 6.1 kernel under QEMU 7.2 (x86_64, TCG, q35, KASLR and PTI on, 5-level and 4-level
 * paging), stopped with a user process running: the library's walk of the captured tables must
 * agree with QEMU's own answers page for page. Fixtures and provenance:
 * packages/dump/test/fixtures/README.md.
 */
import { MappingFlags, type PagingHandler } from '@page-table/core';
import { bytesSource, FrameMemory, RegionFrames } from '@page-table/dump';
import { X64PageTable, X64PageTable5 } from '@page-table/arch-x86_64';
import { describe, expect, it } from 'vitest';
import { answer, type Capture, captures, parseInfoMem, parseInfoTlb, type TlbPage } from './real-guest-fixtures.js';

const x86 = captures('x86_64-');

interface Opened {
  memory: PagingHandler;
  cr3: bigint;
  cr4: bigint;
}

/** The core's memory and the first CPU's CR3/CR4 (x86 QEMU note). */
function open(c: Capture): Opened {
  const dv = new DataView(c.core.buffer, c.core.byteOffset, c.core.byteLength);
  const src = bytesSource(c.core);
  const phoff = Number(dv.getBigUint64(32, true));
  const regions = [];
  let cr3 = -1n;
  let cr4 = -1n;
  for (let i = 0; i < dv.getUint16(56, true); i++) {
    const o = phoff + 56 * i;
    const type = dv.getUint32(o, true);
    const offset = Number(dv.getBigUint64(o + 8, true));
    const filesz = Number(dv.getBigUint64(o + 32, true));
    if (type === 1) {
      regions.push({ paddr: dv.getBigUint64(o + 24, true), size: dv.getBigUint64(o + 40, true), source: src, offset, stored: filesz });
    } else if (type === 4) {
      for (let n = offset; n < offset + filesz; ) {
        const namesz = dv.getUint32(n, true);
        const descsz = dv.getUint32(n + 4, true);
        const name = new TextDecoder().decode(c.core.subarray(n + 12, n + 12 + namesz - 1));
        const desc = n + 12 + ((namesz + 3) & ~3);
        if (name === 'QEMU' && cr3 < 0n) {
          cr3 = dv.getBigUint64(desc + 416, true);
          cr4 = dv.getBigUint64(desc + 424, true);
        }
        n = desc + ((descsz + 3) & ~3);
      }
    }
  }
  return { memory: new FrameMemory(new RegionFrames(regions)), cr3, cr4 };
}

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
    expect(x86.map((c) => c.name)).toEqual(['x86_64-4level-kernel', 'x86_64-4level-user', 'x86_64-la57-kernel', 'x86_64-la57-user']);
  });

  for (const c of x86) {
    describe(c.name, () => {
      const o = open(c);
      const la57 = c.name.includes('la57');

      it(`runs in ${la57 ? '5' : '4'}-level paging (CR4.LA57 = ${la57 ? 1 : 0}) with PTI`, () => {
        expect((o.cr4 >> 12n) & 1n).toBe(la57 ? 1n : 0n);
        // Under PTI the user-mode CR3 is the user copy of the PGD: bit 12 set.
        expect((o.cr3 >> 12n) & 1n).toBe(c.name.endsWith('-user') ? 1n : 0n);
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
            wrong.push(`${hex(va)}: QEMU ${JSON.stringify(q, (_k, v) => (typeof v === 'bigint' ? hex(v) : v))}, ours ${hex(p.pa)} nx=${p.nx} u=${p.user} w=${p.write}`);
          }
        }
        const extra = [...ours.keys()].filter((va) => !qemu.has(va)).map(hex);
        expect({ missing: missing.slice(0, 5), wrong: wrong.slice(0, 5), extra: extra.slice(0, 5) }).toEqual({ missing: [], wrong: [], extra: [] });
        expect(ours.size).toBe(qemu.size);
        expect(qemu.size).toBeGreaterThan(60000);
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
          } catch {
            pa = null; // non-canonical: QEMU says Unmapped too
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
