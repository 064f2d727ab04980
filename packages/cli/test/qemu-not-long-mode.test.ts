/**
 * Cores of x86 guests NOT in long mode, written by QEMU during the test: the tiny guest's
 * 32-bit-paging variant (CR0.PG = 1, EFER.LMA = 0: QEMU writes e_machine EM_386) and a guest
 * held at reset with `-S` (real mode, CR0.PG = 0). `ptm dump` refuses both in one line.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@page-table/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Qmp } from '../../../scripts/guest/qmp.mjs';
import { ptm, type Run } from './helpers.js';
import { hasQemu, startTinyGuest, TINY_PD32, tinyProtectedModeImage } from './qemu-guest.js';

const QEMU = hasQemu();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectRefusal(r: Run, message: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toHaveLength(2);
  expect(r.stderr).toMatch(message);
}

/** QEMU on the 32-bit guest with `extra` options, and its QMP connection. */
async function boot(dir: string, name: string, extra: string[]) {
  const qemu = startTinyGuest(join(dir, 'guest32.bin'), join(dir, `${name}.sock`), await freePort(), extra);
  let stderr = '';
  qemu.stderr?.on('data', (d) => {
    stderr += d;
  });
  for (let i = 0; ; i++) {
    try {
      return { qemu, qmp: await Qmp.open(join(dir, `${name}.sock`)) };
    } catch (e) {
      if (i > 100 || qemu.exitCode !== null) throw new Error(`QEMU did not start: ${stderr || e}`);
      await sleep(100);
    }
  }
}

describe.skipIf(!QEMU)(
  'QEMU writes cores of guests not in long mode, ptm refuses them (skipped: qemu-system-x86_64 not installed)',
  () => {
    let dir: string;
    const guests: Array<Awaited<ReturnType<typeof boot>>> = [];

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'ptm-qemu32-'));
      writeFileSync(join(dir, 'guest32.bin'), tinyProtectedModeImage());
    });

    afterAll(async () => {
      for (const g of guests) {
        await g.qmp.cmd('quit').catch(() => {});
        g.qmp.close();
        g.qemu.kill();
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a guest with 32-bit paging on: an EM_386 core, "not in long mode"', async () => {
      const g = await boot(dir, 'paged', []);
      guests.push(g);
      for (let i = 0; ; i++) {
        const regs = await g.qmp.hmp('info registers');
        if (/CR0=8/.test(regs)) {
          expect(regs).toMatch(/EFER=0+\b/);
          break;
        }
        if (i > 300) throw new Error(`the guest never enabled paging:\n${regs}`);
        await sleep(100);
      }
      await g.qmp.cmd('stop');
      const core = join(dir, 'paged.elf');
      await g.qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${core}` });
      // What QEMU wrote: e_machine EM_386 (3).
      expect(readFileSync(core).readUInt16LE(18)).toBe(3);
      const cr3 = `0x${TINY_PD32.toString(16)}`;
      const refusal = new RegExp(
        `^ptm: error: the core is an ELF(64|32) core \\(EM_386[^)]*\\): CPU 0 was not in long mode \\(EFER\\.LMA = 0; CR0 0x8[0-9a-f]+, CR3 ${cr3}, CR4 0x[0-9a-f]+\\); ptm walks x86_64 4- and 5-level tables`,
      );
      expectRefusal(await ptm(['dump', '--image', core]), refusal);
      expectRefusal(await ptm(['translate', '--image', core, '0x1000', '--json']), refusal);
    }, 60_000);

    it('a guest held at reset (-S, real mode): "paging off"', async () => {
      const g = await boot(dir, 'reset', ['-S']);
      guests.push(g);
      const core = join(dir, 'reset.elf');
      await g.qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${core}` });
      expect(readFileSync(core).readUInt16LE(18)).toBe(3);
      expectRefusal(
        await ptm(['dump', '--image', core]),
        /^ptm: error: CPU 0 of the core had paging off \(CR0\.PG = 0; CR0 0x60000010, CR3 0x0, CR4 0x0\): no page table is in use\n$/,
      );
    }, 60_000);
  },
);
