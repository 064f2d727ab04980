/**
 * Against QEMU itself, started by the test on 127.0.0.1 when `qemu-system-x86_64` is installed: a
 * q35 machine with 16 MiB held at reset (-S). Its gdbstub is read with GdbRemote, and the cores its
 * `dump-guest-memory` writes (ELF, and kdump in makedumpfile's flattened form as QEMU 7.2 writes it)
 * are read with openDump, each checked against QEMU's other answers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, headlessQemuArgs } from '@page-table/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesSource, GdbRemote, type GdbTransport, type OpenedDump, openDump } from '../src/index.js';

const QEMU = 'qemu-system-x86_64';
function installed(binary: string): boolean {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveQemu = installed(QEMU);

function connectRetry(port: number, ms = 20000): Promise<Socket> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => resolve(sock));
      sock.once('error', (e) => {
        sock.destroy();
        if (Date.now() > until) reject(e);
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function tcpTransport(sock: Socket): GdbTransport {
  return {
    send: (d) => void sock.write(d),
    onData: (cb) => void sock.on('data', (b: Buffer) => cb(new Uint8Array(b))),
    close: () => void sock.destroy(),
    onClose: (cb) => void sock.on('close', () => cb()),
  };
}

/** A QMP session: JSON lines, one command at a time. */
class Qmp {
  private buf = '';
  private waiting: ((v: Record<string, unknown>) => void) | undefined;
  constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const msg = JSON.parse(this.buf.slice(0, nl)) as Record<string, unknown>;
        this.buf = this.buf.slice(nl + 1);
        if (!('event' in msg) && this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          w(msg);
        }
      }
    });
  }
  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
  async cmd(execute: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.sock.write(`${JSON.stringify({ execute, arguments: args })}\n`);
    const r = await reply;
    if ('error' in r) throw new Error(`QMP ${execute}: ${JSON.stringify(r.error)}`);
    return r.return;
  }
}

const title = 'QEMU 7.2 gdbstub and dump-guest-memory, started by the test on 127.0.0.1';
describe.skipIf(!haveQemu)(haveQemu ? title : `${title} (skipped: ${QEMU} is not installed)`, () => {
  let guest: QemuGuest | undefined;
  let qmp: Qmp;
  let gdbPort: number;
  let dir: string;
  const dumps = new Map<string, OpenedDump>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ptm-dump-qemu-'));
    guest = await startQemu(QEMU, ['-M', 'q35', '-accel', 'tcg']);
    qmp = guest.qmp;
    gdbPort = guest.gdbPort;
  }, 60_000);

  afterAll(() => {
    guest?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function dump(format: string): Promise<OpenedDump> {
    const cached = dumps.get(format);
    if (cached) return cached;
    const file = join(dir, `core.${format}`);
    await qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${file}`, format });
    const d = openDump(bytesSource(new Uint8Array(readFileSync(file))));
    dumps.set(format, d);
    return d;
  }

  async function hmp(command: string): Promise<string> {
    return (await qmp.cmd('human-monitor-command', { 'command-line': command })) as string;
  }

  it('reads the reset registers by name and physical memory through the real gdbstub, restoring its mode', async () => {
    const g = await GdbRemote.connect(tcpTransport(await connectRetry(gdbPort)), { timeoutMs: 10_000 });
    try {
      expect(g.architecture).toBe('i386:x86-64');
      expect(g.register('cr3')?.regnum).toBe(29);
      const r = await g.readRegisters(['cr0', 'cr3', 'cr4', 'efer', 'rip']);
      expect(Object.fromEntries(r)).toEqual({ cr0: 0x60000010n, cr3: 0n, cr4: 0n, efer: 0n, rip: 0xfff0n });
      const top = await g.readPhysical(0xfffff000n, 4096);
      // QEMU's own answer for the same bytes: the monitor's xp.
      const xp = await hmp('xp /16xb 0xfffffff0');
      const bytes = [...xp.matchAll(/0x([0-9a-f]{2})\b/g)].map((m) => Number.parseInt(m[1], 16));
      expect(bytes).toHaveLength(16);
      expect([...top.subarray(4080)]).toEqual(bytes);
      expect(top.some((b) => b !== 0)).toBe(true);
    } finally {
      g.close();
    }
    // The next client finds the stub's memory mode as the first found it (0: virtual).
    const g2 = await GdbRemote.connect(tcpTransport(await connectRetry(gdbPort)), { timeoutMs: 10_000 });
    try {
      const link = (g2 as unknown as { link: { text(b: string): Promise<string> } }).link;
      expect(await link.text('qqemu.PhyMemMode')).toBe('0');
      expect([...(await g2.readMemory(0xfffffff0n, 16))]).toEqual([...(await g2.readPhysical(0xfffffff0n, 16))]); // paging off
      expect(await link.text('qqemu.PhyMemMode')).toBe('0');
      expect((await g2.readPhysical(0x1000n, 16)).every((b) => b === 0)).toBe(true);
    } finally {
      g2.close();
    }
  }, 60_000);

  it("reads QEMU's ELF core of a CPU not in long mode: EM_386, ELF64 because the BIOS ends at 4 GiB", async () => {
    const d = await dump('elf');
    // target/i386/arch_dump.c: EM_386 without long mode; ELFCLASS64 once a block ends above UINT_MAX.
    expect(d.format).toBe('elf64');
    expect(d.machine).toBe('i386');
    expect(d.description).toMatch(/^ELF64 core \(EM_386, \d+ PT_LOAD, 1 CPU\)$/);
    expect(d.warnings).toEqual([]);
    const r = d.cpus[0].registers;
    expect(r.get('cr0')).toBe(0x60000010n);
    expect(r.get('cr3')).toBe(0n);
    expect(r.get('rip')).toBe(0xfff0n);
    expect(r.get('cs')).toBe(0xf000n);
    expect(r.get('cs_base')).toBe(0xffff0000n);
    expect(r.get('eip')).toBe(0xfff0n); // NT_PRSTATUS's copy
    const end = d.regions.reduce(
      (m, x) => (x.paddr < 0x1_0000_0000n && x.paddr + x.size > m ? x.paddr + x.size : m),
      0n,
    );
    expect(d.regions.some((x) => x.paddr === 0n)).toBe(true);
    expect(d.regions.some((x) => x.paddr === 0xfffc0000n && x.size === 0x40000n)).toBe(true);
    expect(end).toBe(0x1_0000_0000n);
    expect(d.regions.filter((x) => x.paddr < 0x100_0000n).reduce((n, x) => n + x.size, 0n)).toBe(16n << 20n);
    const out = new Uint8Array(4096);
    expect(d.frames.readFrame(0xfffff, out)).toBe(true);
    const g = await GdbRemote.connect(tcpTransport(await connectRetry(gdbPort)), { timeoutMs: 10_000 });
    try {
      expect([...out]).toEqual([...(await g.readPhysical(0xfffff000n, 4096))]);
    } finally {
      g.close();
    }
    expect(d.frames.readFrame(0x1000, out)).toBe(false); // 16 MiB: nothing at 16 MiB
  }, 60_000);

  it("reads QEMU 7.2's kdump-zlib (makedumpfile's flattened stream) exactly like its ELF core", async () => {
    const elf = await dump('elf');
    const caps = (await qmp.cmd('query-dump-guest-memory-capability')) as { formats: string[] };
    expect(caps.formats).toContain('kdump-zlib');
    for (const format of caps.formats.filter((f) => f === 'kdump-zlib' || f === 'kdump-snappy')) {
      const k = await dump(format);
      expect(k.format).toBe('kdump-flattened');
      expect(k.machine).toBe(elf.machine);
      expect(k.regions.reduce((n, x) => n + x.size, 0n)).toBe(elf.regions.reduce((n, x) => n + x.size, 0n));
      expect(k.description).toContain(format === 'kdump-zlib' ? 'zlib' : 'snappy');
      expect(k.cpus[0].registers.get('cr0')).toBe(0x60000010n);
      const a = new Uint8Array(4096);
      const b = new Uint8Array(4096);
      for (let f = 0; f < 0x1000; f++) {
        const inElf = elf.frames.readFrame(f, a);
        const inK = k.frames.readFrame(f, b);
        expect(inK, `frame ${f}`).toBe(inElf);
        if (inElf) expect(Buffer.from(a).equals(Buffer.from(b)), `frame ${f}`).toBe(true);
      }
    }
  }, 60_000);
});

/** A running QEMU: its QMP session, its gdbstub's port, and how to stop it. */
interface QemuGuest {
  qmp: Qmp;
  gdbPort: number;
  stop(): void;
}

/** A stopped QEMU (-S) with QMP and a gdbstub on free loopback ports. */
async function startQemu(binary: string, machine: string[]): Promise<QemuGuest> {
  const gdbPort = await freePort();
  const qmpPort = await freePort();
  const proc = spawn(
    binary,
    [
      ...machine,
      '-m',
      '16M',
      '-S',
      '-nodefaults',
      ...headlessQemuArgs(`tcp:127.0.0.1:${qmpPort},server=on,wait=off`, gdbPort),
    ],
    { stdio: 'ignore' },
  );
  const sock = await connectRetry(qmpPort);
  const qmp = new Qmp(sock);
  await qmp.next(); // greeting
  await qmp.cmd('qmp_capabilities');
  return {
    qmp,
    gdbPort,
    stop() {
      sock.destroy();
      proc.kill();
    },
  };
}

const guests = [
  {
    binary: 'qemu-system-aarch64',
    machine: ['-M', 'virt', '-accel', 'tcg', '-cpu', 'cortex-a57'],
    arch: 'aarch64',
    registers: ['TTBR0_EL1', 'TTBR1_EL1', 'TCR_EL1', 'SCTLR_EL1', 'MAIR_EL1'],
    elfMachine: 'aarch64',
    ram: 0x4000_0000n,
  },
  {
    binary: 'qemu-system-riscv64',
    machine: ['-M', 'virt', '-accel', 'tcg', '-bios', 'none'],
    arch: 'riscv:rv64',
    registers: ['satp', 'priv'],
    elfMachine: 'riscv64',
    ram: 0x8000_0000n,
  },
] as const;

for (const guest of guests) {
  const have = installed(guest.binary);
  const name = `${guest.binary} gdbstub and dump-guest-memory, started by the test on 127.0.0.1`;
  describe.skipIf(!have)(have ? name : `${name} (skipped: ${guest.binary} is not installed)`, () => {
    let q: Awaited<ReturnType<typeof startQemu>>;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ptm-dump-qemu-'));
      q = await startQemu(guest.binary, [...guest.machine]);
    }, 60_000);
    afterAll(() => {
      q?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it(`reads ${guest.registers.join(', ')} by name from the target description`, async () => {
      const g = await GdbRemote.connect(tcpTransport(await connectRetry(q.gdbPort)), { timeoutMs: 10_000 });
      try {
        expect(g.architecture).toBe(guest.arch);
        const r = await g.readRegisters(guest.registers);
        expect([...r.keys()]).toEqual([...guest.registers]);
        for (const n of guest.registers) expect(g.register(n)!.bitsize).toBe(64);
        if (guest.arch === 'riscv:rv64') {
          expect(g.register('satp')!.regnum - g.register('mstatus')!.regnum).toBe(0x180 - 0x300); // base + CSR number
          expect(r.get('satp')).toBe(0n);
          expect(r.get('priv')).toBe(3n); // M-mode at reset
        } else {
          expect(g.register('SCTLR_EL1')!.name).toBe('SCTLR'); // QEMU 7.2's name for it
          expect(r.get('TTBR0_EL1')).toBe(0n);
          expect(r.get('SCTLR_EL1')! & 1n).toBe(0n); // MMU off at reset
        }
        const ram = await g.readPhysical(guest.ram, 64);
        expect(ram).toHaveLength(64);
      } finally {
        g.close();
      }
    }, 60_000);

    it('reads its ELF core (NT_PRSTATUS only) and its kdump-zlib core alike', async () => {
      const read = async (format: string) => {
        const file = join(dir, `core.${format}`);
        await q.qmp.cmd('dump-guest-memory', { paging: false, protocol: `file:${file}`, format });
        return openDump(bytesSource(new Uint8Array(readFileSync(file))));
      };
      const elf = await read('elf');
      expect(elf.format).toBe('elf64');
      expect(elf.machine).toBe(guest.elfMachine);
      expect(elf.warnings).toEqual([]);
      expect(elf.cpus[0].registers.has('pc')).toBe(true);
      expect(elf.regions).toContainEqual({ paddr: guest.ram, size: 16n << 20n, stored: 16n << 20n });
      const k = await read('kdump-zlib');
      expect(k.format).toBe('kdump-flattened');
      expect(k.machine).toBe(guest.elfMachine); // from NT_PRSTATUS: QEMU writes utsname.machine "Unknown"
      expect(k.description).toContain(guest.elfMachine === 'aarch64' ? '65536-byte pages' : '4096-byte pages');
      expect(k.cpus[0].registers.get('pc')).toBe(elf.cpus[0].registers.get('pc'));
      const a = new Uint8Array(4096);
      const b = new Uint8Array(4096);
      const first = Number(guest.ram / 4096n);
      for (let f = first - 16; f < first + 4096 + 16; f++) {
        const inElf = elf.frames.readFrame(f, a);
        expect(k.frames.readFrame(f, b), `frame ${f}`).toBe(inElf);
        if (inElf) expect(Buffer.from(a).equals(Buffer.from(b)), `frame ${f}`).toBe(true);
      }
    }, 60_000);
  });
}
