/**
 * A client of the GDB remote serial protocol for reading a stopped guest:
 * its registers by name and its physical memory, and nothing that would
 * resume or change it.
 *
 * @module
 */

import { latin1 } from '../fields.js';
import { GdbError } from './gdb-error.js';
import { framePacket, PacketReader, type PeerEvent } from './packet.js';
import { type GdbRegister, readTargetDescription } from './target-xml.js';

/**
 * A byte stream to the stub. The CLI provides one over `node:net` (loopback
 * by default); a browser could use a WebSocket bridge.
 */
export interface GdbTransport {
  /** Sends bytes. */
  send(data: Uint8Array): void;
  /** Registers the receiver of every chunk the peer sends. */
  onData(cb: (data: Uint8Array) => void): void;
  /** Ends the connection. */
  close(): void;
  /** Registers a callback for the peer ending the connection (optional: without it only timeouts tell). */
  onClose?(cb: (reason?: Error) => void): void;
}

/** How {@link GdbRemote.connect} talks to the stub. */
export interface GdbRemoteOptions {
  /** Milliseconds to wait for each reply before giving up. Default 5000. */
  timeoutMs?: number;
}

/**
 * The only packets ever sent: queries, register and memory reads, and
 * QEMU's physical-memory mode switch (stub state, restored after use).
 * Anything that resumes, steps, writes or detaches (`c s C S G P M X Z z
 * vCont k D R`) is refused before it reaches the wire.
 */
const ALLOWED =
  /^(qSupported(:[\x20-\x7e]*)?|qXfer:features:read:[\w.-]+:[0-9a-f]+,[0-9a-f]+|QStartNoAckMode|qqemu\.PhyMemMode|Qqemu\.PhyMemMode:[01]|p[0-9a-f]+|g|m[0-9a-f]+,[0-9a-f]+|\?)$/;

const MAX_RETRANSMIT = 3;

/** Other names stubs give a register: QEMU's AArch64 system-register feature names some by their AArch32-era cpreg name. */
const REGISTER_ALIASES: Record<string, readonly string[]> = { SCTLR_EL1: ['SCTLR'], CPACR_EL1: ['CPACR'] };

/**
 * A connection to a gdbstub (QEMU's `-s` / `-gdb`). {@link connect} runs the
 * handshake: `qSupported` (PacketSize, features), `QStartNoAckMode` when
 * offered, and the target description from `qXfer:features:read` (with its
 * includes) for register numbers by name. Requests are serialised: one packet
 * in flight at a time, each with a timeout. The guest is never resumed or
 * written; see {@link readPhysical} for the one piece of stub state it
 * touches.
 */
export class GdbRemote {
  /** `qSupported` features: `name` → value, `+`, `-` or `?`. */
  readonly features: ReadonlyMap<string, string>;
  /** Largest packet the stub accepts (`PacketSize`; 4096 when not reported). */
  readonly packetSize: number;
  /** `<architecture>` of the target description, when given. */
  readonly architecture: string | undefined;
  /** Registers by exact name from the target description. */
  readonly registers: ReadonlyMap<string, GdbRegister>;

  private constructor(
    private readonly link: Link,
    features: Map<string, string>,
    architecture: string | undefined,
    registers: GdbRegister[],
  ) {
    this.features = features;
    const size = Number.parseInt(features.get('PacketSize') ?? '', 16);
    this.packetSize = Number.isInteger(size) && size >= 64 ? size : 4096;
    this.architecture = architecture;
    this.registers = new Map(registers.map((r) => [r.name, r]));
  }

  /**
   * Connects over `transport` and runs the handshake. A silent peer is a
   * `Timeout` {@link GdbError}, a closed one `Closed`; on failure the
   * transport is closed.
   */
  static async connect(transport: GdbTransport, options: GdbRemoteOptions = {}): Promise<GdbRemote> {
    const link = new Link(transport, options.timeoutMs ?? 5000);
    try {
      const features = new Map<string, string>();
      for (const item of (await link.text('qSupported')).split(';')) {
        if (item === '') continue;
        const eq = item.indexOf('=');
        if (eq > 0) features.set(item.slice(0, eq), item.slice(eq + 1));
        else features.set(item.slice(0, -1), item.slice(-1));
      }
      if (features.get('QStartNoAckMode') === '+') {
        if ((await link.text('QStartNoAckMode')) === 'OK') link.noAck = true;
      }
      let architecture: string | undefined;
      let registers: GdbRegister[] = [];
      if (features.get('qXfer:features:read') === '+') {
        const size = Number.parseInt(features.get('PacketSize') ?? '', 16);
        const chunk = Math.max(64, (Number.isInteger(size) ? size : 4096) - 16);
        const desc = await readTargetDescription((annex) => link.readXfer(annex, chunk));
        architecture = desc.architecture;
        registers = desc.registers;
      }
      return new GdbRemote(link, features, architecture, registers);
    } catch (e) {
      link.close();
      throw e;
    }
  }

  /**
   * The register called `name` (exact, else case-insensitive, else by a
   * name QEMU uses for it: 7.2's AArch64 feature calls SCTLR_EL1 `SCTLR`),
   * or undefined.
   */
  register(name: string): GdbRegister | undefined {
    for (const candidate of [name, ...(REGISTER_ALIASES[name.toUpperCase()] ?? [])]) {
      const exact = this.registers.get(candidate);
      if (exact !== undefined) return exact;
      const lower = candidate.toLowerCase();
      for (const r of this.registers.values()) if (r.name.toLowerCase() === lower) return r;
    }
    return undefined;
  }

  /**
   * Reads registers by name (as {@link register} finds them) with `p`, or
   * from one `g` reply when the stub does not answer `p`. Values are
   * little-endian as the targets here send them. A name the description
   * lacks, or a value the stub reports unavailable, is an `Unsupported`
   * {@link GdbError} naming it.
   */
  async readRegisters(names: readonly string[]): Promise<Map<string, bigint>> {
    return this.link.exclusive(async () => {
      if (this.registers.size === 0) {
        throw new GdbError(
          'Unsupported',
          'the gdbstub offers no target description (qXfer:features:read): register numbers are unknown',
        );
      }
      const out = new Map<string, bigint>();
      let g: string | undefined;
      for (const name of names) {
        const reg = this.register(name);
        if (reg === undefined) {
          throw new GdbError(
            'Unsupported',
            `the gdbstub's target description (${this.architecture ?? 'no architecture'}) has no register ${name}`,
          );
        }
        let hex = await this.link.text(`p${reg.regnum.toString(16)}`);
        if (hex === '') {
          g ??= await this.link.text('g');
          const at = this.gOffset(reg);
          hex = at === undefined ? '' : g.slice(2 * at, 2 * at + reg.bitsize / 4);
          if (hex.length !== reg.bitsize / 4)
            throw new GdbError(
              'Unsupported',
              `the gdbstub answers neither p nor g for register ${reg.name} (${reg.regnum})`,
            );
        }
        out.set(name, decodeRegister(hex, reg));
      }
      return out;
    });
  }

  /** Byte offset of `reg` in a `g` reply: the sizes of the registers numbered before it, when numbering has no gaps. */
  private gOffset(reg: GdbRegister): number | undefined {
    let at = 0;
    let expect = 0;
    for (const r of [...this.registers.values()].sort((a, b) => a.regnum - b.regnum)) {
      if (r.regnum !== expect) return undefined;
      if (r === reg) return at;
      at += r.bitsize / 8;
      expect++;
    }
    return undefined;
  }

  /**
   * Reads `length` bytes of guest-physical memory from `pa`: reads the stub's
   * current mode (`qqemu.PhyMemMode`), switches to physical
   * (`Qqemu.PhyMemMode:1`) if needed, reads with `m` in chunks that fit the
   * stub's PacketSize, and restores the previous mode even when a read fails.
   * A stub without the mode (not QEMU) is an `Unsupported` {@link GdbError};
   * memory it cannot read is `TargetError`.
   */
  async readPhysical(pa: bigint, length: number): Promise<Uint8Array> {
    return this.link.exclusive(async () => {
      const before = await this.link.text('qqemu.PhyMemMode');
      if (before !== '0' && before !== '1') {
        throw new GdbError(
          'Unsupported',
          `the gdbstub does not support QEMU's physical memory mode (qqemu.PhyMemMode answered "${before}")`,
        );
      }
      if (before === '0') {
        const ok = await this.link.text('Qqemu.PhyMemMode:1');
        if (ok !== 'OK') throw new GdbError('Unsupported', `the gdbstub refused Qqemu.PhyMemMode:1 ("${ok}")`);
      }
      try {
        return await this.readMemoryNow(pa, length);
      } finally {
        if (before === '0') await this.link.text('Qqemu.PhyMemMode:0');
      }
    });
  }

  /** Reads `length` bytes at `addr` in the stub's current mode (virtual, as the CPU sees it, unless switched). */
  async readMemory(addr: bigint, length: number): Promise<Uint8Array> {
    return this.link.exclusive(() => this.readMemoryNow(addr, length));
  }

  private async readMemoryNow(addr: bigint, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const chunk = Math.max(16, Math.floor(this.packetSize / 2));
    let done = 0;
    while (done < length) {
      const want = Math.min(chunk, length - done);
      const at = addr + BigInt(done);
      const hex = await this.link.text(`m${at.toString(16)},${want.toString(16)}`);
      if (/^E[0-9a-fA-F]{2}$/.test(hex)) {
        throw new GdbError('TargetError', `the gdbstub could not read ${want} bytes at 0x${at.toString(16)} (${hex})`);
      }
      if (hex.length === 0 || hex.length % 2 !== 0 || hex.length > 2 * want || !/^[0-9a-fA-F]+$/.test(hex)) {
        throw new GdbError(
          'Protocol',
          `the gdbstub answered m${at.toString(16)},${want.toString(16)} with "${hex.slice(0, 40)}"`,
        );
      }
      for (let i = 0; i < hex.length / 2; i++) out[done + i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      done += hex.length / 2;
    }
    return out;
  }

  /** Closes the connection (the guest stays as it is: stopped). */
  close(): void {
    this.link.close();
  }
}

function decodeRegister(hex: string, reg: GdbRegister): bigint {
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== reg.bitsize / 4) {
    throw new GdbError('Unsupported', `register ${reg.name} is unavailable from the gdbstub ("${hex.slice(0, 40)}")`);
  }
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(Number.parseInt(hex.slice(i, i + 2), 16));
  return v;
}

/** The packet layer: one request in flight, acks or no-ack mode, retransmission, timeouts. */
class Link {
  noAck = false;
  private readonly reader = new PacketReader();
  private waiter:
    | { resolve: (d: Uint8Array) => void; reject: (e: Error) => void; onEvent: (e: PeerEvent) => void }
    | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed: GdbError | undefined;

  constructor(
    private readonly transport: GdbTransport,
    private readonly timeoutMs: number,
  ) {
    transport.onData((d) => {
      for (const e of this.reader.push(d)) this.waiter?.onEvent(e);
    });
    transport.onClose?.((reason) => {
      this.closed = new GdbError('Closed', `the gdbstub closed the connection${reason ? ` (${reason.message})` : ''}`);
      this.waiter?.reject(this.closed);
    });
  }

  /** Runs `fn` after every earlier exclusive operation, alone. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Sends `body` and resolves with the reply as text. */
  async text(body: string): Promise<string> {
    return latin1(await this.request(body));
  }

  /** Reads a whole `qXfer:features:read` object, `chunk` bytes a request (`m` = more follows, `l` = last). */
  async readXfer(annex: string, chunk: number): Promise<string> {
    let text = '';
    for (;;) {
      const reply = await this.request(
        `qXfer:features:read:${annex}:${text.length.toString(16)},${chunk.toString(16)}`,
      );
      const kind = String.fromCharCode(reply[0] ?? 0);
      if (kind !== 'm' && kind !== 'l') {
        throw new GdbError(
          kind === 'E' ? 'TargetError' : 'Protocol',
          `the gdbstub answered qXfer:features:read:${annex} with "${latin1(reply.subarray(0, 40))}"`,
        );
      }
      text += latin1(reply.subarray(1));
      if (kind === 'l') return text;
      if (reply.length === 1)
        throw new GdbError('Protocol', `the gdbstub's qXfer:features:read:${annex} made no progress`);
    }
  }

  private request(body: string): Promise<Uint8Array> {
    if (!ALLOWED.test(body)) {
      return Promise.reject(
        new GdbError('Forbidden', `refusing to send "${body}": it could resume or change the guest`),
      );
    }
    if (this.closed) return Promise.reject(this.closed);
    if (this.waiter) return Promise.reject(new GdbError('Protocol', `request ${body} while another is in flight`));
    const frame = framePacket(body);
    return new Promise<Uint8Array>((resolve, reject) => {
      let tries = 1;
      const timer = setTimeout(() => {
        this.closed = new GdbError(
          'Timeout',
          `no reply from the gdbstub to ${body.split(':')[0]} within ${this.timeoutMs} ms`,
        );
        finish();
        reject(this.closed);
      }, this.timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiter = undefined;
      };
      this.waiter = {
        resolve,
        reject: (e) => {
          finish();
          reject(e);
        },
        onEvent: (e) => {
          if (e.kind === 'nak' && !this.noAck) {
            if (tries++ >= MAX_RETRANSMIT) {
              this.waiter?.reject(
                new GdbError('Protocol', `the gdbstub rejected ${body.split(':')[0]} ${MAX_RETRANSMIT} times`),
              );
              return;
            }
            this.transport.send(frame);
          } else if (e.kind === 'packet') {
            if (!e.valid) {
              if (!this.noAck) this.transport.send(NAK);
              return;
            }
            if (!this.noAck) this.transport.send(ACK);
            finish();
            resolve(e.data);
          }
        },
      };
      this.transport.send(frame);
    });
  }

  close(): void {
    this.closed ??= new GdbError('Closed', 'the connection to the gdbstub was closed');
    this.waiter?.reject(this.closed);
    this.transport.close();
  }
}

const ACK = Uint8Array.of(0x2b);
const NAK = Uint8Array.of(0x2d);
