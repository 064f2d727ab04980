/**
 * A live guest under QEMU's gdbstub (`-s` / `-gdb tcp::PORT`): `ptm dump|
 * translate|stats|find-pa --gdb HOST:PORT` reads the paging registers by name
 * from the target description and the tables' frames over the GDB remote
 * protocol (`@page-table/dump`'s `GdbRemote`, which never resumes or changes
 * the guest), through a node:net transport. The command runs unchanged on
 * the frames fetched so far until a pass misses none (`walkWithFetch`), then
 * once more for real.
 *
 * @module
 */

import { connect, type Socket } from 'node:net';
import { GdbError, GdbFrameSource, GdbRemote, type GdbTransport, walkWithFetch } from '@page-table/dump';
import type { Io } from './context.js';
import { CliError, usageError } from './errors.js';
import { hex } from './numbers.js';

/** What a command sees of a live guest: its frames and a line saying what it is. */
export interface LiveInput {
  /** The guest's physical frames, fetched on demand. */
  frames: GdbFrameSource;
  /** `gdbstub at 127.0.0.1:1234 (i386:x86-64)`. */
  description: string;
}

/** Milliseconds to wait for a connection and each reply. */
const TIMEOUT_MS = 5000;

/** `HOST:PORT`, `:PORT` or `PORT` (loopback by default). */
export function parseGdbAddress(text: string): { host: string; port: number } {
  const m = /^(?:(.*):)?([0-9]{1,5})$/.exec(text);
  const port = m === null ? Number.NaN : Number(m[2]);
  if (m === null || port < 1 || port > 65535)
    throw usageError(`--gdb: '${text}' is not HOST:PORT (e.g. 127.0.0.1:1234, or :1234 for this machine)`);
  const host = m[1] === undefined || m[1] === '' ? '127.0.0.1' : m[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** A `GdbTransport` over a connected TCP socket. */
function socketTransport(socket: Socket): GdbTransport {
  return {
    send: (data) => {
      socket.write(data);
    },
    onData: (cb) => {
      socket.on('data', (d: Buffer) => cb(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    },
    onClose: (cb) => {
      socket.on('close', () => cb());
    },
    close: () => {
      socket.destroy();
    },
  };
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CliError(`no connection to a gdbstub at ${host}:${port} within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        e.code === 'ECONNREFUSED'
          ? 'connection refused (is QEMU running with -s or -gdb tcp::PORT?)'
          : e.code === 'ENOTFOUND'
            ? 'no such host'
            : e.message;
      reject(new CliError(`cannot connect to a gdbstub at ${host}:${port}: ${why}`));
    });
  });
}

/**
 * The root options the live registers give, as command-line arguments (only
 * where the user gave none): x86 `--cr3 --cr4` (EFER.LMA checked), AArch64
 * `--ttbr0 --ttbr1 --tcr --mair`, RISC-V `--satp`; with `mmu` (translate)
 * also what the MMU checks: `--cr0 --efer`, `--sctlr`, `--priv`.
 */
async function registerArgs(remote: GdbRemote, given: ReadonlySet<string>, mmu: boolean): Promise<string[]> {
  const has = (n: string) => remote.register(n) !== undefined;
  const rootGiven = ['--root', '--cr3', '--satp', '--ttbr0', '--ttbr1'].some((o) => given.has(o));
  const out: string[] = [];
  const add = (option: string, value: bigint | undefined) => {
    if (value !== undefined && !given.has(option)) out.push(option, hex(value));
  };
  if (has('cr3')) {
    const names = ['cr0', 'cr3', 'cr4', ...(has('efer') ? ['efer'] : [])];
    const r = await remote.readRegisters(names);
    const efer = r.get('efer');
    const cr0 = r.get('cr0') ?? 0n;
    if ((cr0 & (1n << 31n)) === 0n)
      throw new CliError(`the guest has paging off (CR0 ${hex(cr0)}: PG = 0): no page table is in use`);
    if (efer !== undefined && (efer & (1n << 10n)) === 0n) {
      throw new CliError(
        `the guest is not in long mode (EFER ${hex(efer)}: LMA = 0); ptm walks x86_64 4- and 5-level tables`,
      );
    }
    if (!rootGiven) add('--cr3', r.get('cr3'));
    add('--cr4', r.get('cr4'));
    if (mmu) {
      add('--cr0', cr0);
      add('--efer', efer);
    }
    return out;
  }
  if (has('TTBR1_EL1') || has('TTBR0_EL1')) {
    const r = await remote.readRegisters([
      'TTBR0_EL1',
      'TTBR1_EL1',
      'TCR_EL1',
      'MAIR_EL1',
      ...(mmu && has('SCTLR_EL1') ? ['SCTLR_EL1'] : []),
    ]);
    if (mmu) add('--sctlr', r.get('SCTLR_EL1'));
    if (!rootGiven) {
      add('--ttbr0', r.get('TTBR0_EL1'));
      add('--ttbr1', r.get('TTBR1_EL1'));
    }
    add('--tcr', r.get('TCR_EL1'));
    add('--mair', r.get('MAIR_EL1'));
    return out;
  }
  if (has('satp')) {
    const r = await remote.readRegisters(['satp', ...(mmu && has('priv') ? ['priv'] : [])]);
    if (!rootGiven) add('--satp', r.get('satp'));
    const priv = r.get('priv');
    if (mmu && priv !== undefined && !given.has('--priv') && !given.has('--user'))
      out.push('--priv', priv === 0n ? 'u' : priv === 3n ? 'm' : 's');
    return out;
  }
  throw new CliError(
    `the gdbstub's target (${remote.architecture ?? 'unknown'}) has none of cr3, TTBR0_EL1/TTBR1_EL1, satp: ptm cannot find its page tables`,
  );
}

/** An Io that drops everything: the passes that only gather frames. */
const QUIET: Io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };

/**
 * Runs `run(argv, io, live)` against the guest at `address`: connects,
 * reads the registers into options, gathers the frames the command needs,
 * then runs it once on `io`. Connection and protocol failures are one
 * {@link CliError} line.
 */
export async function withGdb(
  address: string,
  argv: readonly string[],
  io: Io,
  run: (argv: readonly string[], io: Io, live: LiveInput) => number,
): Promise<number> {
  const { host, port } = parseGdbAddress(address);
  const socket = await open(host, port);
  let remote: GdbRemote | undefined;
  try {
    remote = await GdbRemote.connect(socketTransport(socket), { timeoutMs: TIMEOUT_MS });
    // translate checks accesses with the arch MMU: it gets the control registers too.
    const extra = await registerArgs(remote, new Set(argv.filter((a) => a.startsWith('--'))), argv[0] === 'translate');
    const frames = new GdbFrameSource(remote);
    const live: LiveInput = {
      frames,
      description: `gdbstub at ${host}:${port} (${remote.architecture ?? 'unknown architecture'})`,
    };
    const full = [...argv, ...extra];
    const fetch = frames.fetch.bind(frames);
    await walkWithFetch(
      frames,
      (f) => fetch(f),
      () => run(full, QUIET, live),
    );
    return run(full, io, live);
  } catch (e) {
    if (e instanceof GdbError) throw new CliError(`gdbstub at ${host}:${port}: ${e.message}`);
    throw e;
  } finally {
    if (remote !== undefined) remote.close();
    socket.destroy();
  }
}
