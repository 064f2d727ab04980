/**
 * An in-process gdbstub that follows the GDB remote protocol the way QEMU's
 * does (framing, checksums, acks, QStartNoAckMode, qSupported, qXfer paging
 * with m/l replies and binary escapes, p/g, m with run-length encoded
 * replies, qqemu.PhyMemMode), written independently of the client, and that
 * records every packet it receives.
 */
import type { GdbTransport } from '../src/index.js';

export interface FakeRegister {
  name: string;
  bits: number;
  value: bigint;
}

export interface FakeOptions {
  packetSize?: number;
  offerNoAck?: boolean;
  files: Record<string, string>;
  registers: FakeRegister[];
  pUnsupported?: boolean;
  physical: Uint8Array;
  virtual?: Uint8Array;
  phyMode?: 0 | 1;
  phyModeUnsupported?: boolean;
  xferLimit?: number;
  silent?: boolean;
  corruptFirstReplies?: number;
  rle?: boolean;
  closeAfter?: number;
}

/** Every packet any fake received in this test file: checked for resuming packets at the end. */
export const allPackets: string[] = [];

const sum = (s: string) => {
  let c = 0;
  for (let i = 0; i < s.length; i++) c = (c + s.charCodeAt(i)) & 0xff;
  return c;
};

function escapeBinary(s: string): string {
  let out = '';
  for (const ch of s) out += '$#}*'.includes(ch) ? `}${String.fromCharCode(ch.charCodeAt(0) ^ 0x20)}` : ch;
  return out;
}

function runLength(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    let j = i;
    while (j < s.length && s[j] === s[i]) j++;
    let extra = j - i - 1;
    out += s[i];
    while (extra > 0) {
      let k = Math.min(extra, 97);
      if (k === 6 || k === 7) k = 5; // counts that would encode as '#' or '$'
      if (k < 3) {
        out += s[i].repeat(k);
      } else {
        out += `*${String.fromCharCode(k + 29)}`;
      }
      extra -= k;
    }
    i = j;
  }
  return out;
}

export class FakeGdbstub implements GdbTransport {
  readonly packets: string[] = [];
  /** Bytes the client sent outside packets ('+' / '-'). */
  readonly acks: string[] = [];
  phyMode: 0 | 1;
  closed = false;
  private noAck = false;
  private toClient: ((d: Uint8Array) => void) | undefined;
  private onClosed: ((e?: Error) => void) | undefined;
  private inbox = '';
  private lastReply = '';
  private corruptLeft: number;

  constructor(readonly o: FakeOptions) {
    this.phyMode = o.phyMode ?? 0;
    this.corruptLeft = o.corruptFirstReplies ?? 0;
  }

  onData(cb: (d: Uint8Array) => void): void {
    this.toClient = cb;
  }
  onClose(cb: (e?: Error) => void): void {
    this.onClosed = cb;
  }
  close(): void {
    this.closed = true;
  }

  send(data: Uint8Array): void {
    this.inbox += String.fromCharCode(...data);
    for (;;) {
      const c = this.inbox[0];
      if (c === undefined) return;
      if (c === '+' || c === '-') {
        this.acks.push(c);
        this.inbox = this.inbox.slice(1);
        if (c === '-') this.transmit(this.lastReply, false);
        continue;
      }
      if (c !== '$') {
        this.inbox = this.inbox.slice(1);
        continue;
      }
      const hash = this.inbox.indexOf('#');
      if (hash < 0 || this.inbox.length < hash + 3) return;
      const raw = this.inbox.slice(1, hash);
      const cs = Number.parseInt(this.inbox.slice(hash + 1, hash + 3), 16);
      this.inbox = this.inbox.slice(hash + 3);
      if (this.o.silent) continue;
      if (cs !== sum(raw)) {
        this.out('-');
        continue;
      }
      const body = raw.replace(/\}(.)/g, (_, ch: string) => String.fromCharCode(ch.charCodeAt(0) ^ 0x20));
      this.packets.push(body);
      allPackets.push(body);
      if (!this.noAck) this.out('+');
      if (this.o.closeAfter !== undefined && this.packets.length >= this.o.closeAfter) {
        queueMicrotask(() => this.onClosed?.());
        continue;
      }
      const reply = this.answer(body);
      this.transmit(reply, this.corruptLeft-- > 0);
      if (body === 'QStartNoAckMode') this.noAck = true;
    }
  }

  private transmit(reply: string, corrupt: boolean): void {
    this.lastReply = reply;
    const cs = (sum(reply) + (corrupt ? 1 : 0)) & 0xff;
    this.out(`$${reply}#${cs.toString(16).padStart(2, '0')}`);
  }

  /** Delivers asynchronously, in small chunks, as a socket would. */
  private out(s: string): void {
    const bytes = Uint8Array.from(s, (ch) => ch.charCodeAt(0));
    for (let i = 0; i < bytes.length; i += 7) {
      const part = bytes.subarray(i, i + 7);
      queueMicrotask(() => this.toClient?.(part));
    }
  }

  private answer(body: string): string {
    const o = this.o;
    const size = o.packetSize ?? 0x1000;
    if (body.startsWith('qSupported')) {
      return [
        `PacketSize=${size.toString(16)}`,
        'qXfer:features:read+',
        ...(o.offerNoAck === false ? [] : ['QStartNoAckMode+']),
        'vContSupported+',
      ].join(';');
    }
    if (body === 'QStartNoAckMode') return 'OK';
    let m = /^qXfer:features:read:([^:]+):([0-9a-f]+),([0-9a-f]+)$/.exec(body);
    if (m) {
      const file = o.files[m[1]];
      if (file === undefined) return 'E00';
      const off = Number.parseInt(m[2], 16);
      const len = Math.min(Number.parseInt(m[3], 16), o.xferLimit ?? 1 << 30);
      const part = file.slice(off, off + len);
      return (off + part.length >= file.length ? 'l' : 'm') + escapeBinary(part);
    }
    m = /^p([0-9a-f]+)$/.exec(body);
    if (m) {
      if (o.pUnsupported) return '';
      const r = o.registers[Number.parseInt(m[1], 16)];
      return r === undefined ? 'E45' : le(r.value, r.bits / 8);
    }
    if (body === 'g') return o.registers.map((r) => le(r.value, r.bits / 8)).join('');
    if (body === 'qqemu.PhyMemMode') return o.phyModeUnsupported ? '' : String(this.phyMode);
    m = /^Qqemu\.PhyMemMode:([01])$/.exec(body);
    if (m) {
      if (o.phyModeUnsupported) return '';
      this.phyMode = Number(m[1]) as 0 | 1;
      return 'OK';
    }
    m = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(body);
    if (m) {
      const addr = Number.parseInt(m[1], 16);
      const len = Number.parseInt(m[2], 16);
      if (len > size / 2) return 'E22';
      const mem = this.phyMode === 1 ? o.physical : (o.virtual ?? new Uint8Array(0));
      if (addr >= mem.length) return 'E14';
      let hex = '';
      for (const b of mem.subarray(addr, Math.min(addr + len, mem.length))) hex += b.toString(16).padStart(2, '0');
      return o.rle ? runLength(hex) : hex;
    }
    return '';
  }
}

function le(v: bigint, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Number((v >> BigInt(8 * i)) & 0xffn)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/** QEMU 7.2's x86_64 description, shaped like its target.xml + i386-64bit.xml (cr3 is register 29). */
export function x86Description(values: Record<string, bigint>): {
  files: Record<string, string>;
  registers: FakeRegister[];
} {
  const names: [string, number][] = [
    ...'rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip'
      .split(' ')
      .map((n) => [n, 64] as [string, number]),
    ...'eflags cs ss ds es fs gs'.split(' ').map((n) => [n, 32] as [string, number]),
    ...'fs_base gs_base k_gs_base cr0 cr2 cr3 cr4 cr8 efer'.split(' ').map((n) => [n, 64] as [string, number]),
    ['st0', 80],
  ];
  const regs = names.map(([name, bits]) => `  <reg name="${name}" bitsize="${bits}" type="int${bits}"/>`);
  const core = `<?xml version="1.0"?>\n<!-- Copyright (C) 2010-2017 Free Software Foundation, Inc. ** a comment with * and } -->\n<!DOCTYPE feature SYSTEM "gdb-target.dtd">\n<feature name="org.gnu.gdb.i386.core">\n${regs.slice(0, 24).join('\n')}\n</feature>\n<feature name="org.gnu.gdb.i386.sys">\n${regs.slice(24).join('\n')}\n</feature>\n`;
  const target = `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>i386:x86-64</architecture><xi:include href="i386-64bit.xml"/></target>`;
  return {
    files: { 'target.xml': target, 'i386-64bit.xml': core },
    registers: names.map(([name, bits]) => ({ name, bits, value: values[name] ?? 0n })),
  };
}
