import { X64PageTable } from '@page-table/arch-x86_64';
import { MappingFlags, RamHandler } from '@page-table/core';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBody, framePacket, PacketReader } from '../src/gdb/packet.js';
import {
  FrameMemory,
  GdbError,
  GdbFrameSource,
  GdbRemote,
  readTargetDescription,
  walkWithFetch,
} from '../src/index.js';
import { allPackets, FakeGdbstub, type FakeOptions, x86Description } from './fake-gdbstub.js';

const REGS = { cr0: 0x80050033n, cr3: 0x10a000n | 0x5n, cr4: 0x3506f0n, efer: 0xd01n, rip: 0xffffffff81000000n };

function stub(over: Partial<FakeOptions> = {}) {
  const d = x86Description(REGS);
  const physical = new Uint8Array(0x40000).map((_, i) => (i * 31 + 7) & 0xff);
  physical.fill(0, 0x3000, 0x4000); // a zero page: run-length encoded when `rle`
  return new FakeGdbstub({
    files: d.files,
    registers: d.registers,
    physical,
    virtual: new Uint8Array(0x1000).fill(0xee),
    ...over,
  });
}

// A packet that resumes, steps, writes registers or memory, sets breakpoints, kills, detaches or resets.
const RESUMING = /^(c|s|C|S|G|P|M|X|Z|z|vCont|vRun|vAttach|k|D|R|r|T|i|I|A|!|QPassSignals)/;

afterAll(() => {
  expect(allPackets.length).toBeGreaterThan(50);
  expect(allPackets.filter((p) => RESUMING.test(p))).toEqual([]);
});

describe('packet framing', () => {
  it('frames with the checksum and escapes reserved characters; decodes escapes and run-length encoding', () => {
    expect(new TextDecoder().decode(framePacket('qSupported'))).toBe('$qSupported#37');
    expect(new TextDecoder().decode(framePacket('a#b'))).toBe('$a}\x03b#43');
    const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(decodeBody(enc('0* }]x')))).toBe('0000}x');
    const r = new PacketReader();
    expect(r.push(enc('+$O'))).toEqual([{ kind: 'ack' }]);
    const ev = r.push(enc('K#9a-%Stop:T05#00'));
    expect(ev[0]).toEqual({ kind: 'packet', data: enc('OK'), valid: true });
    expect(ev[1]).toEqual({ kind: 'nak' });
    expect(ev[2].kind).toBe('notification');
    expect(r.push(enc('$OK#00'))[0]).toMatchObject({ valid: false });
  });
});

describe('GdbRemote against a protocol-following fake gdbstub', () => {
  it('handshakes: qSupported, QStartNoAckMode, the target description with includes, paged by m/l replies', async () => {
    const s = stub({ xferLimit: 100 });
    const g = await GdbRemote.connect(s, { timeoutMs: 1000 });
    expect(s.packets[0]).toBe('qSupported');
    expect(s.packets[1]).toBe('QStartNoAckMode');
    expect(s.packets.filter((p) => p.startsWith('qXfer:features:read:i386-64bit.xml:')).length).toBeGreaterThan(10);
    expect(g.packetSize).toBe(0x1000);
    expect(g.features.get('qXfer:features:read')).toBe('+');
    expect(g.architecture).toBe('i386:x86-64');
    expect(g.register('cr3')).toEqual({ name: 'cr3', regnum: 29, bitsize: 64, feature: 'org.gnu.gdb.i386.sys' });
    expect(g.register('EFER')?.regnum).toBe(32);
    expect(g.register('eflags')).toMatchObject({ regnum: 17, bitsize: 32, feature: 'org.gnu.gdb.i386.core' });
    // Acks stop after the OK to QStartNoAckMode (which the client still acknowledges).
    expect(s.acks).toEqual(['+', '+']);
    const regs = await g.readRegisters(['cr0', 'cr3', 'cr4', 'efer', 'rip']);
    expect(Object.fromEntries(regs)).toEqual(REGS);
    expect(s.packets.slice(-5)).toEqual(['p1b', 'p1d', 'p1e', 'p20', 'p10']);
    g.close();
    expect(s.closed).toBe(true);
  });

  it('acknowledges every reply in ack mode and asks again for a reply with a bad checksum', async () => {
    const s = stub({ offerNoAck: false, corruptFirstReplies: 2 });
    const g = await GdbRemote.connect(s, { timeoutMs: 1000 });
    expect(s.packets).not.toContain('QStartNoAckMode');
    expect(s.acks.slice(0, 4)).toEqual(['-', '+', '-', '+']); // each bad reply is asked for again, then acknowledged
    const n = s.acks.length;
    expect((await g.readRegisters(['cr3'])).get('cr3')).toBe(REGS.cr3);
    expect(s.acks.slice(n)).toEqual(['+']);
  });

  it('falls back to g when the stub does not answer p', async () => {
    const g = await GdbRemote.connect(stub({ pUnsupported: true }), { timeoutMs: 1000 });
    expect(Object.fromEntries(await g.readRegisters(['cr0', 'cr3', 'cr4', 'efer', 'rip']))).toEqual(REGS);
  });

  it('names registers the description lacks', async () => {
    const g = await GdbRemote.connect(stub(), { timeoutMs: 1000 });
    await expect(g.readRegisters(['satp'])).rejects.toThrow(/has no register satp/);
  });

  it('reads numbered registers of a generated feature (regnum attributes) as QEMU does for AArch64', async () => {
    const files: Record<string, string> = {
      'target.xml':
        '<target><architecture>aarch64</architecture><xi:include href="aarch64-core.xml"/><xi:include href="system-registers.xml"/></target>',
      'aarch64-core.xml': `<feature name="org.gnu.gdb.aarch64.core">${Array.from({ length: 31 }, (_, i) => `<reg name="x${i}" bitsize="64"/>`).join('')}<reg name="sp" bitsize="64"/><reg name="pc" bitsize="64"/><reg name="cpsr" bitsize="32"/></feature>`,
      'system-registers.xml':
        '<feature name="org.qemu.gdb.aarch64.sysregs"><reg name="SCTLR_EL1" bitsize="64" regnum="200"/><reg name="TTBR0_EL1" bitsize="64"/><reg name="TTBR1_EL1" bitsize="64"/><reg name="TCR_EL1" bitsize="64" regnum="210"/><reg name="MAIR_EL1" bitsize="64"/></feature>',
    };
    const registers = Array.from({ length: 212 }, (_, i) => ({ name: `r${i}`, bits: 64, value: BigInt(i) * 0x1000n }));
    registers[33] = { name: 'cpsr', bits: 32, value: 0x3c5n };
    const s = stub({ files, registers });
    const g = await GdbRemote.connect(s, { timeoutMs: 1000 });
    expect(g.architecture).toBe('aarch64');
    const r = await g.readRegisters(['TTBR0_EL1', 'TTBR1_EL1', 'TCR_EL1', 'SCTLR_EL1', 'MAIR_EL1', 'cpsr']);
    expect(Object.fromEntries(r)).toEqual({
      TTBR0_EL1: 201n * 0x1000n,
      TTBR1_EL1: 202n * 0x1000n,
      TCR_EL1: 210n * 0x1000n,
      SCTLR_EL1: 200n * 0x1000n,
      MAIR_EL1: 211n * 0x1000n,
      cpsr: 0x3c5n,
    });
  });

  it('reads physical memory through Qqemu.PhyMemMode:1 in PacketSize chunks, then restores the previous mode', async () => {
    const s = stub({ packetSize: 0x400, rle: true });
    const g = await GdbRemote.connect(s, { timeoutMs: 1000 });
    const from = s.packets.length;
    const got = await g.readPhysical(0x2f00n, 0x1300);
    expect([...got]).toEqual([...s.o.physical.subarray(0x2f00, 0x4200)]);
    const sent = s.packets.slice(from);
    expect(sent[0]).toBe('qqemu.PhyMemMode');
    expect(sent[1]).toBe('Qqemu.PhyMemMode:1');
    expect(sent.at(-1)).toBe('Qqemu.PhyMemMode:0');
    const reads = sent.filter((p) => p.startsWith('m'));
    expect(reads[0]).toBe('m2f00,200');
    for (const p of reads) expect(Number.parseInt(p.split(',')[1], 16)).toBeLessThanOrEqual(0x200);
    expect(s.phyMode).toBe(0);
    // Virtual reads are untouched by the switch.
    expect((await g.readMemory(0n, 4))[0]).toBe(0xee);
  });

  it('leaves a stub already in physical mode as it was, and restores the mode after a failed read', async () => {
    const s1 = stub({ phyMode: 1 });
    const g1 = await GdbRemote.connect(s1, { timeoutMs: 1000 });
    await g1.readPhysical(0n, 16);
    expect(s1.packets.filter((p) => p.startsWith('Qqemu'))).toEqual([]);
    expect(s1.phyMode).toBe(1);
    const s2 = stub();
    const g2 = await GdbRemote.connect(s2, { timeoutMs: 1000 });
    const err = await g2.readPhysical(0x3ff00n, 0x200).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GdbError);
    expect((err as GdbError).kind).toBe('TargetError');
    expect((err as GdbError).message).toContain('E14');
    expect(s2.phyMode).toBe(0);
    expect(s2.packets.at(-1)).toBe('Qqemu.PhyMemMode:0');
  });

  it('refuses physical reads from a stub without QEMU physical mode', async () => {
    const g = await GdbRemote.connect(stub({ phyModeUnsupported: true }), { timeoutMs: 1000 });
    await expect(g.readPhysical(0n, 16)).rejects.toThrow(/does not support QEMU's physical memory mode/);
  });

  it('times out on a silent peer with a one-line error, and reports a closed one', async () => {
    const silent = stub({ silent: true });
    const t0 = Date.now();
    const err = await GdbRemote.connect(silent, { timeoutMs: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GdbError);
    expect((err as GdbError).kind).toBe('Timeout');
    expect((err as GdbError).message).toBe('no reply from the gdbstub to qSupported within 60 ms');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(silent.closed).toBe(true);
    const closing = stub({ closeAfter: 1 });
    await expect(GdbRemote.connect(closing, { timeoutMs: 1000 })).rejects.toMatchObject({ kind: 'Closed' });
  });

  it('never puts a resuming or writing packet on the wire, even when asked to', async () => {
    const s = stub();
    const g = await GdbRemote.connect(s, { timeoutMs: 1000 });
    const link = (g as unknown as { link: { text(b: string): Promise<string> } }).link;
    for (const p of ['c', 's', 'vCont;c', 'D', 'k', 'G00', 'P1d=0', 'M0,1:00', 'X0,0:', 'Z0,0,1']) {
      await expect(link.text(p)).rejects.toMatchObject({ kind: 'Forbidden' });
    }
    expect(s.packets.filter((p) => RESUMING.test(p))).toEqual([]);
  });

  it('reads an include cycle as an error, not a hang', async () => {
    await expect(readTargetDescription(async () => '<target><xi:include href="target.xml"/></target>')).rejects.toThrow(
      /inside itself/,
    );
  });
});

describe('GdbFrameSource + walkWithFetch: walking a live guest', () => {
  it('walks real x86_64 tables through the stub and finds the same mappings as a walk of the RAM itself', async () => {
    const ram = new RamHandler({ base: 0, size: 1 << 20, allocRange: [0x10_0000 - 0x4_0000, 0x10_0000] });
    const pt = X64PageTable.create(ram);
    pt.mapRegion(0x40_0000, 0x20_0000, 0x3000, MappingFlags.READ | MappingFlags.WRITE, false);
    pt.mapRegion(0xffff_8000_0000_0000n, 0x0, 0x20_0000, MappingFlags.READ | MappingFlags.EXECUTE, true);
    pt.mapRegion(0x7fff_f000, 0x5_0000, 0x1000, MappingFlags.READ | MappingFlags.USER, false);
    const want = [...pt.mappings()];
    const physical = new Uint8Array(ram.words.buffer, 0, 1 << 20);
    const s = stub({
      physical,
      files: x86Description({ ...REGS, cr3: BigInt(pt.rootPaddr) }).files,
      registers: x86Description({ ...REGS, cr3: BigInt(pt.rootPaddr) }).registers,
    });
    const g = await GdbRemote.connect(s, { timeoutMs: 1000 });
    const cr3 = (await g.readRegisters(['cr3'])).get('cr3')!;
    const src = new GdbFrameSource(g);
    const mem = new FrameMemory(src, { cacheFrames: 64 });
    let passes = 0;
    const got = await walkWithFetch(
      src,
      (f) => src.fetch(f),
      () => {
        passes++;
        return [...X64PageTable.fromRoot(mem, cr3 & ~0xfffn).mappings()];
      },
    );
    expect(got).toEqual(want);
    expect(passes).toBeLessThanOrEqual(5);
    expect(src.framesFetched).toBeGreaterThanOrEqual(4);
    expect(s.phyMode).toBe(0);
    // A table outside the guest's RAM: the stub answers E14, the frame reads as unbacked, the walk ends.
    const src2 = new GdbFrameSource(g);
    const mem2 = new FrameMemory(src2);
    const r = await walkWithFetch(
      src2,
      (f) => src2.fetch(f),
      () => mem2.frameWord(0x5000),
    );
    expect(r).toBe(-1);
    expect(src2.has(0x5000)).toBe(true);
  });
});
