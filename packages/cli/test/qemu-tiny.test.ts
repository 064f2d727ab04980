/**
 * Cores written by QEMU during the test: a tiny x86_64 guest (see qemu-guest.ts) booted by
 * `qemu-system-x86_64` on this machine, stopped once it has paging on, dumped with
 * `dump-guest-memory` (ELF and kdump -z, zlib, makedumpfile's flattened stream as QEMU 7.2 writes
 * it), then read back with @page-table/dump: the root from the core's QEMU note, every mapping as
 * worked out by hand from the entries, and page for page what QEMU's own `info tlb` says. And the
 * same guest live through QEMU's gdbstub on 127.0.0.1 (GdbRemote, GdbFrameSource, walkWithFetch).
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X64PageTable } from '@page-table/arch-x86_64';
import { formatFlags, MappingFlags } from '@page-table/core';
import { FrameMemory, GdbFrameSource, GdbRemote, type GdbTransport, walkWithFetch } from '@page-table/dump';
import { freePort } from '@page-table/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qmp } from '../../../scripts/guest/qmp.mjs';
import { ptmJson } from './helpers.js';
import { hasQemu, startTinyGuest, TINY, TINY_MAPPINGS, tinyGuestImage } from './qemu-guest.js';
import { openCapture, parseInfoTlb } from './real-guest-fixtures.js';

const QEMU = hasQemu();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A GdbTransport over a node:net socket (the CLI has its own; this one is the test's). */
function tcp(port: number): Promise<GdbTransport> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('error', reject);
    sock.once('connect', () =>
      resolve({
        send: (d) => sock.write(d),
        onData: (cb) => sock.on('data', (d) => cb(new Uint8Array(d))),
        close: () => sock.destroy(),
        onClose: (cb) => sock.on('close', () => cb()),
      }),
    );
  });
}

describe.skipIf(!QEMU)(
  'QEMU writes cores of a tiny guest, @page-table/dump reads them (skipped: qemu-system-x86_64 not installed)',
  () => {
    let dir: string;
    let qmp: Qmp;
    let qemu: ReturnType<typeof startTinyGuest>;
    let tlb: string;
    let gdbPort: number;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ptm-qemu-'));
      writeFileSync(join(dir, 'guest.bin'), tinyGuestImage());
      gdbPort = await freePort();
      qemu = startTinyGuest(join(dir, 'guest.bin'), join(dir, 'qmp.sock'), gdbPort);
      let stderr = '';
      qemu.stderr?.on('data', (d) => {
        stderr += d;
      });
      for (let i = 0; ; i++) {
        try {
          qmp = await Qmp.open(join(dir, 'qmp.sock'));
          break;
        } catch (e) {
          if (i > 100 || qemu.exitCode !== null) throw new Error(`QEMU did not start: ${stderr || e}`);
          await sleep(100);
        }
      }
      // Wait for the guest to turn paging on (CR0.PG), then stop it there.
      for (let i = 0; ; i++) {
        const regs = await qmp.hmp('info registers');
        if (/CR0=8/.test(regs) && /EFER=0*d00\b/.test(regs)) break;
        if (i > 300) throw new Error(`the guest never enabled paging:\n${regs}`);
        await sleep(100);
      }
      await qmp.cmd('stop');
      tlb = await qmp.hmp('info tlb');
    }, 60_000);

    afterAll(async () => {
      await qmp?.cmd('quit').catch(() => {});
      qmp?.close();
      qemu?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const expectTiny = (core: Uint8Array, format: string) => {
      const o = openCapture(core);
      expect(o.dump.format).toBe(format);
      expect(o.dump.machine).toBe('x86_64');
      expect(o.cr3).toBe(BigInt(TINY.pml4));
      expect(o.cr4 & 0x20n).toBe(0x20n);
      const pt = X64PageTable.fromRoot(o.memory, o.cr3);
      const ours = [...pt.mappings()].map((m) => ({
        va: BigInt(m.va),
        pa: BigInt(m.pa),
        size: m.size,
        flags: m.flags,
        ...(m.leafFlags === undefined ? {} : { leafFlags: m.leafFlags }),
      }));
      expect(ours).toEqual(TINY_MAPPINGS);
      // Page for page against QEMU's own walk (leaf bits as QEMU prints them).
      const qemuPages = parseInfoTlb(tlb);
      expect(qemuPages.size).toBe(TINY_MAPPINGS.length);
      for (const m of TINY_MAPPINGS) {
        const own = m.leafFlags ?? m.flags;
        expect(qemuPages.get(m.va)).toEqual({
          pa: m.pa,
          nx: !(own & MappingFlags.EXECUTE),
          user: (own & MappingFlags.USER) !== 0,
          write: (own & MappingFlags.WRITE) !== 0,
          large: m.size > 4096,
        });
      }
    };

    it('reads the ELF core (dump-guest-memory): root from the QEMU note, every aliased mapping, same pages as info tlb', async () => {
      const path = join(dir, 'core.elf');
      await qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${path}` });
      expectTiny(new Uint8Array(readFileSync(path)), 'elf64');
    });

    it('reads the kdump core (dump-guest-memory -z: zlib, flattened): the same', async () => {
      const path = join(dir, 'core.kdump');
      await qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${path}`, format: 'kdump-zlib' });
      const bytes = new Uint8Array(readFileSync(path));
      expect(new TextDecoder().decode(bytes.subarray(0, 12))).toBe('makedumpfile');
      expectTiny(bytes, 'kdump-flattened');
    });

    it('walks the live guest through the gdbstub: registers by name, physical reads, the guest left stopped', async () => {
      const remote = await GdbRemote.connect(await tcp(gdbPort), { timeoutMs: 10_000 });
      try {
        const regs = await remote.readRegisters(['cr0', 'cr3', 'cr4', 'efer']);
        expect(regs.get('cr3')).toBe(BigInt(TINY.pml4));
        expect((regs.get('cr0')! >> 31n) & 1n).toBe(1n);
        expect(regs.get('efer')! & 0x500n).toBe(0x500n); // LME and LMA
        const src = new GdbFrameSource(remote);
        const mem = new FrameMemory(src);
        const live = await walkWithFetch(
          src,
          (f) => src.fetch(f),
          () =>
            [...X64PageTable.fromRoot(mem, regs.get('cr3')!).mappings()].map((m) => ({
              va: BigInt(m.va),
              pa: BigInt(m.pa),
              size: m.size,
              flags: m.flags,
            })),
        );
        expect(live).toEqual(TINY_MAPPINGS.map(({ va, pa, size, flags }) => ({ va, pa, size, flags })));
        expect(src.framesFetched).toBe(5); // the five tables, nothing else
      } finally {
        remote.close();
      }
      await sleep(200);
      expect(await qmp.cmd('query-status')).toMatchObject({ running: false });
    });

    it('ptm dump --gdb 127.0.0.1:PORT: the live guest mappings with the root from the gdbstub, the guest left stopped', async () => {
      const out = (await ptmJson(['dump', '--gdb', `127.0.0.1:${gdbPort}`])) as {
        root: { paddr: string; source: string };
        mappings: { va: string; pa: string; size: string; flags: string[]; leafFlags?: string[] }[];
      };
      expect(out.root.source).toBe('gdb');
      expect(BigInt(out.root.paddr)).toBe(BigInt(TINY.pml4));
      expect(
        out.mappings.map((r) => ({
          va: BigInt(r.va),
          pa: BigInt(r.pa),
          size: Number(BigInt(r.size)),
          flags: r.flags.join('|'),
          leafFlags: r.leafFlags?.join('|'),
        })),
      ).toEqual(
        TINY_MAPPINGS.map((m) => ({
          va: m.va,
          pa: m.pa,
          size: m.size,
          flags: formatFlags(m.flags),
          leafFlags: m.leafFlags === undefined ? undefined : formatFlags(m.leafFlags),
        })),
      );
      expect(await qmp.cmd('query-status')).toMatchObject({ running: false });
    });

    it('ptm translate --gdb --access w: the MMU from the live CR0/CR4/EFER; a write to the read-only page faults, to a writable one translates', async () => {
      const out = (await ptmJson([
        'translate',
        '--gdb',
        `127.0.0.1:${gdbPort}`,
        '--access',
        'w',
        '0x200010',
        '0x201010',
        '0xffff800000201010',
      ])) as {
        translations: {
          va: string;
          access: { ok: boolean; pa: string | null; fault: Record<string, unknown> | null };
        }[];
      };
      const [ro, rw, high] = out.translations;
      expect(ro.access.ok).toBe(false); // PT[0]: P|U, no W; CR0.WP = 1 so even CPL 0 cannot write
      expect(ro.access.fault).not.toBeNull();
      expect(rw.access).toMatchObject({ ok: true, pa: '0x301010' });
      expect(high.access).toMatchObject({ ok: true, pa: '0x301010' }); // the same PT through PML4[256]
      expect(await qmp.cmd('query-status')).toMatchObject({ running: false });
    });
  },
);
