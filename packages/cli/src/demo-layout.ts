/**
 * The demo's address spaces: for each paging mode, the layout a small kernel
 * sets up at boot, built with the library in an embedded `RamHandler`.
 *
 * - the identity map of RAM, in 1 GiB and 2 MiB blocks where alignment allows;
 * - the kernel image in the high half, 4 KiB pages: `.text` RX, `.rodata` R,
 *   `.data`/`.bss` RW;
 * - one user process: text RX, data RW and a stack RW, all USER;
 * - the board's MMIO windows, RW and DEVICE, in the high half.
 *
 * AArch64 keeps the two halves in two tables (TTBR0_EL1: identity map and
 * user; TTBR1_EL1: kernel and MMIO); every other mode uses one table.
 *
 * @module
 */

import { MappingFlags, type PageTable64, RamHandler } from '@page-table/core';
import type { ArchName, Mode } from './modes.js';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;

/** An MMIO window of a board. */
export interface MmioWindow {
  /** Device name. */
  readonly name: string;
  /** First PA (4 KiB aligned). */
  readonly pa: bigint;
  /** Bytes (a multiple of 4 KiB). */
  readonly size: number;
  /** Offset of the register the demo translates (the UART's data register, say). */
  readonly probe: number;
}

/** The machine a mode's demo describes. */
export interface Board {
  /** Board name, as QEMU calls it. */
  readonly name: string;
  /** First PA of RAM. */
  readonly ramBase: bigint;
  /** Bytes of RAM. */
  readonly ramSize: bigint;
  /** Device windows the kernel maps. */
  readonly mmio: readonly MmioWindow[];
}

/** QEMU's machines: RAM and a couple of devices each (addresses from QEMU's board files). */
export const BOARDS: Readonly<Record<ArchName, Board>> = {
  x86_64: {
    name: 'q35',
    ramBase: 0n,
    ramSize: 0x8400_0000n,
    mmio: [
      { name: 'IOAPIC', pa: 0xfec0_0000n, size: 0x1000, probe: 0x10 },
      { name: 'LAPIC', pa: 0xfee0_0000n, size: 0x1000, probe: 0x20 },
    ],
  },
  riscv: {
    name: 'virt',
    ramBase: 0x8000_0000n,
    ramSize: 0x8400_0000n,
    mmio: [
      { name: 'PLIC', pa: 0x0c00_0000n, size: 0x60_0000, probe: 0x20_0004 },
      { name: 'UART0 (16550)', pa: 0x1000_0000n, size: 0x1000, probe: 0 },
    ],
  },
  aarch64: {
    name: 'virt',
    ramBase: 0x4000_0000n,
    ramSize: 0x8400_0000n,
    mmio: [
      { name: 'GIC distributor', pa: 0x0800_0000n, size: 0x1_0000, probe: 0x100 },
      { name: 'PL011 UART', pa: 0x0900_0000n, size: 0x1000, probe: 0 },
    ],
  },
  loongarch64: {
    name: 'virt',
    ramBase: 0x9000_0000n,
    ramSize: 0x8400_0000n,
    mmio: [
      { name: 'PCH-PIC', pa: 0x1000_0000n, size: 0x1000, probe: 0x100 },
      { name: 'UART0 (16550)', pa: 0x1fe0_0000n, size: 0x1000, probe: 0x1e0 },
    ],
  },
};

/** Where the kernel image is linked: the top 2 GiB, as x86_64's `-mcmodel=kernel`. */
export const KERNEL_VA = 0xffff_ffff_8000_0000n;
/** Base of the MMIO windows: each window at `MMIO_VA + (pa mod 1 GiB)`, so 2 MiB blocks stay possible. */
export const MMIO_VA = 0xffff_ffff_c000_0000n;
/** Bytes of the embedded RAM holding the tables: the first 2 MiB of RAM. */
export const TABLE_RAM_SIZE = 0x20_0000;
/** Offset in RAM of the frames the tables are allocated from: the second MiB. */
export const TABLE_POOL_OFFSET = 0x10_0000;

/** The kernel image's sections: VA offset from {@link KERNEL_VA} (= PA offset from the load address), size, flags. */
const KERNEL_SECTIONS = [
  { name: '.text', offset: 0x0, size: 0xa_0000, flags: READ | EXECUTE },
  { name: '.rodata', offset: 0xa_0000, size: 0x3_0000, flags: READ },
  { name: '.data/.bss', offset: 0xd_0000, size: 0x5_0000, flags: READ | WRITE },
] as const;
/** The kernel is loaded 2 MiB into RAM, right after the table pool. */
const KERNEL_LOAD = 0x20_0000n;
/** The user process's frames start 16 MiB into RAM. */
const USER_LOAD = 0x100_0000n;

/** A VA the demo translates, and what it is. */
export interface Probe {
  readonly what: string;
  readonly va: bigint;
}

/** One page table of a demo: its root register, the VA range it prints in and what to translate. */
export interface DemoTable {
  /** `''` for a mode with one table, else which half, e.g. `TTBR1_EL1 (upper range)`. */
  readonly label: string;
  readonly pt: PageTable64;
  /** Whether VAs print in the AArch64 TTBR1 range. */
  readonly upper: boolean;
  readonly probes: readonly Probe[];
}

/** A mode's demo: the RAM holding its tables and the tables. */
export interface Demo {
  readonly mode: Mode;
  readonly board: Board;
  readonly ram: RamHandler;
  readonly tables: readonly DemoTable[];
  /** What a reader should know about how this arch encodes the layout, or `undefined`. */
  readonly note: string | undefined;
}

const NOTES: Readonly<Record<ArchName, string | undefined>> = {
  x86_64: 'x86_64 encodes DEVICE as PCD|PWT (uncached), which reads back as UNCACHED.',
  riscv: 'plain RISC-V PTEs carry no memory type (the PMAs decide), so DEVICE is not encoded.',
  aarch64: 'one table per TTBR: the walker indexes VA bits 47..12, so TTBR1 VAs print with --upper.',
  loongarch64: undefined,
};

/**
 * Builds the demo layout of `mode` in a fresh 2 MiB `RamHandler` at the
 * board's RAM base, with tables allocated from its second MiB.
 */
export function buildDemo(mode: Mode): Demo {
  const board = BOARDS[mode.arch];
  const base = board.ramBase;
  const ram = new RamHandler({
    base: Number(base),
    size: TABLE_RAM_SIZE,
    allocRange: [Number(base) + TABLE_POOL_OFFSET, Number(base) + TABLE_RAM_SIZE],
  });
  const lower = mode.create(ram);
  const upper = mode.splitHalves ? mode.create(ram) : lower;

  // Identity map of RAM: VA = PA, the walker picks 1 GiB and 2 MiB blocks.
  lower.mapRegion(base, base, board.ramSize, READ | WRITE, true);

  // The kernel image, 4 KiB pages.
  for (const s of KERNEL_SECTIONS) {
    upper.mapRegion(KERNEL_VA + BigInt(s.offset), base + KERNEL_LOAD + BigInt(s.offset), s.size, s.flags);
  }

  // One user process, placed as Linux places a PIE: two thirds up the lower half, stack near its top.
  const lowerTop =
    mode.meta.vaCheck === 'sign-extend' ? 1n << BigInt(mode.meta.vaBits - 1) : 1n << BigInt(mode.meta.vaBits);
  const userBase = ((lowerTop * 2n) / 3n) & ~0x1f_ffffn;
  const stackTop = lowerTop - 0x10_0000n;
  const userPa = base + USER_LOAD;
  lower.mapRegion(userBase, userPa, 0x4000, READ | EXECUTE | USER);
  lower.mapRegion(userBase + 0x4000n, userPa + 0x4000n, 0x2000, READ | WRITE | USER);
  lower.mapRegion(stackTop - 0x8000n, userPa + 0x1_0000n, 0x8000, READ | WRITE | USER);

  // MMIO windows.
  const mmioVa = (w: MmioWindow) => MMIO_VA + (w.pa & 0x3fff_ffffn);
  for (const w of board.mmio) upper.mapRegion(mmioVa(w), w.pa, w.size, READ | WRITE | DEVICE, true);

  const lowProbes: Probe[] = [
    { what: 'RAM, identity map', va: base + 0x4234_5678n },
    { what: 'RAM, last 2 MiB', va: base + board.ramSize - 0x20_0000n + 0xabcn },
    { what: 'user text', va: userBase + 0x123n },
    { what: 'user stack', va: stackTop - 0x10n },
  ];
  const highProbes: Probe[] = [
    { what: 'kernel .text', va: KERNEL_VA + 0x1234n },
    { what: 'kernel .data', va: KERNEL_VA + 0xd_0040n },
    ...board.mmio.map((w) => ({ what: w.name, va: mmioVa(w) + BigInt(w.probe) })),
    { what: 'guard page below the kernel', va: KERNEL_VA - 0x1000n },
  ];
  const tables: DemoTable[] = mode.splitHalves
    ? [
        { label: 'TTBR0_EL1 (lower range)', pt: lower, upper: false, probes: lowProbes },
        { label: 'TTBR1_EL1 (upper range)', pt: upper, upper: true, probes: highProbes },
      ]
    : [{ label: '', pt: lower, upper: false, probes: [...lowProbes, ...highProbes] }];
  return { mode, board, ram, tables, note: NOTES[mode.arch] };
}
