/**
 * `--gdb HOST:PORT` end to end through the binary: a TCP gdbstub on
 * 127.0.0.1 (the fake of `@page-table/dump`'s tests, serving QEMU 7.2's
 * x86_64 target description and the demo's RAM) read without --arch, --root
 * or --image; refused and silent peers; and never a packet that resumes or
 * changes the guest.
 */
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGdbstub, x86Description } from '../../dump/test/fake-gdbstub.js';
import { expectError, type JsonValue, ptm, ptmInJson, tempDir } from './helpers.js';

const tmp = tempDir();
let demo: JsonValue;
const fakes: FakeGdbstub[] = [];

function serve(options: { silent?: boolean; efer?: bigint }): Promise<Server> {
  const ram = readFileSync(join(tmp.dir, 'demo.img'));
  const server = createServer((socket) => {
    const fake = new FakeGdbstub({
      ...x86Description({
        cr0: 0x8001_0011n,
        cr3: BigInt(demo.tables[0].root) | 0x5n,
        cr4: 0x20n,
        efer: options.efer ?? 0xd00n,
      }),
      physical: new Uint8Array(ram),
      silent: options.silent,
    });
    fakes.push(fake);
    fake.onData((d) => socket.write(d));
    socket.on('data', (d) => fake.send(new Uint8Array(d)));
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const port = (s: Server) => (s.address() as AddressInfo).port;
let good: Server;
let silent: Server;
let realMode: Server;

beforeAll(async () => {
  demo = ptmInJson(['demo', '--arch', 'x86_64', '--save-image', join(tmp.dir, 'demo.img')]).modes[0];
  [good, silent, realMode] = await Promise.all([serve({}), serve({ silent: true }), serve({ efer: 0n })]);
});

afterAll(() => {
  for (const s of [good, silent, realMode]) s?.close();
  tmp.cleanup();
});

describe('ptm --gdb', () => {
  it('dumps a live guest from its registers and memory, with the same rows as its image', async () => {
    const r = await ptm(['dump', '--gdb', `127.0.0.1:${port(good)}`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.mode).toBe('x86_64');
    expect(d.input.format).toBe('gdb');
    expect(d.root).toMatchObject({ paddr: demo.tables[0].root, source: 'gdb' });
    expect(d.root.detail).toContain('masked');
    expect(d.mappings).toEqual(demo.tables[0].mappings);
    const t = await ptm(['translate', '--gdb', `:${port(good)}`, '0xffffffff80001234', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const tj = JSON.parse(t.stdout);
    expect(tj.translations[0].pa).toBe('0x201234');
    // The MMU is built from the live registers: CR0, CR4 and EFER as the guest has them.
    expect(tj.mmu.registers).toMatchObject({ CR0: '0x80010011', CR4: '0x20', EFER: '0xd00' });
    const w = await ptm(['translate', '--gdb', `:${port(good)}`, '--access', 'w', '0xffffffff80001234', '--json']);
    expect(JSON.parse(w.stdout).translations[0].access.ok).toBe(false);
    const s = await ptm(['stats', '--gdb', String(port(good))]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('gdbstub at 127.0.0.1');
    // Only queries, register and memory reads and the PhyMemMode switch: nothing that resumes or writes.
    const sent = fakes.flatMap((f) => f.packets);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((p) => /^[cCsSGPMXZzkDR]|^vCont/.test(p))).toEqual([]);
  });

  it('says so in one line for a refused, a silent or a wrong peer', async () => {
    const closed = await serve({});
    const unused = port(closed);
    closed.close();
    await new Promise((r) => setTimeout(r, 50));
    const [refused, quiet, real, bad] = await Promise.all([
      ptm(['dump', '--gdb', `127.0.0.1:${unused}`]),
      ptm(['dump', '--gdb', `127.0.0.1:${port(silent)}`]),
      ptm(['dump', '--gdb', `127.0.0.1:${port(realMode)}`]),
      ptm(['dump', '--gdb', 'nowhere']),
    ]);
    expectError(refused, 1, /^ptm: error: cannot connect to a gdbstub at 127\.0\.0\.1:\d+: connection refused/);
    expectError(quiet, 1, /^ptm: error: gdbstub at 127\.0\.0\.1:\d+: .*(no reply|within)/);
    expectError(real, 1, /^ptm: error: the guest is not in long mode \(EFER 0x0: LMA = 0\)/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ptm: error: --gdb: 'nowhere' is not HOST:PORT/);
  }, 30_000);
});
