/**
 * A tiny x86 guest for the tests that start QEMU: a multiboot image (QEMU loads it itself with
 * `-kernel`) whose 32-bit entry loads CR3 with page tables laid out below, sets CR4.PAE,
 * EFER.LME|NXE and CR0.PG|WP, and halts in IA-32e (compatibility) mode. The tables alias the way
 * real kernels do (PML4[0] and PML4[511] share one PDPT; PML4[256] reaches the same PD through a
 * supervisor-only PDPT), with 4 KiB, 2 MiB and 1 GiB leaves and U/W/NX combinations.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { MappingFlags } from '@page-table/core';
import { headlessQemuArgs } from '@page-table/test-support';

/** Physical layout of the guest image (loaded at 1 MiB). */
export const TINY = {
  load: 0x100000,
  entry: 0x100040,
  pml4: 0x101000,
  pdptLow: 0x102000,
  pd: 0x103000,
  pt: 0x104000,
  pdptHigh: 0x105000,
} as const;

const P = 1n;
const W = 2n;
const U = 4n;
const PS = 0x80n;
const NX = 1n << 63n;

/** A multiboot image of `size` bytes (a.out kludge: load address in the header) with `code` at the entry. */
function multibootImage(size: number, code: readonly number[]): { img: Uint8Array; dv: DataView } {
  const img = new Uint8Array(size);
  const dv = new DataView(img.buffer);
  const magic = 0x1badb002;
  const flags = 0x00010000; // addresses in the header
  dv.setUint32(0, magic, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, -(magic + flags) >>> 0, true);
  dv.setUint32(12, TINY.load, true); // header_addr
  dv.setUint32(16, TINY.load, true); // load_addr
  dv.setUint32(20, 0, true); // load_end_addr: the whole file
  dv.setUint32(24, 0, true); // bss_end_addr
  dv.setUint32(28, TINY.entry, true);
  img.set(code, TINY.entry - TINY.load);
  return { img, dv };
}

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** The image: multiboot header, code that enters IA-32e mode, tables. */
export function tinyGuestImage(): Uint8Array {
  // biome-ignore format: one instruction per line
  const code = [
    0xb8, ...le32(TINY.pml4), // mov eax, PML4
    0x0f, 0x22, 0xd8, // mov cr3, eax
    0x0f, 0x20, 0xe0, // mov eax, cr4
    0x83, 0xc8, 0x20, // or eax, CR4.PAE
    0x0f, 0x22, 0xe0, // mov cr4, eax
    0xb9, ...le32(0xc0000080), // mov ecx, IA32_EFER
    0x0f, 0x32, // rdmsr
    0x0d, ...le32(0x900), // or eax, EFER.LME | EFER.NXE
    0x0f, 0x30, // wrmsr
    0x0f, 0x20, 0xc0, // mov eax, cr0
    0x0d, ...le32(0x80010001), // or eax, CR0.PG | CR0.WP | CR0.PE
    0x0f, 0x22, 0xc0, // mov cr0, eax: IA-32e mode from here
    0xf4, // hlt (interrupts are off under multiboot)
    0xeb, 0xfd, // jmp hlt
  ];
  const { img, dv } = multibootImage(0x6000, code);
  const entry = (table: number, index: number, value: bigint) =>
    dv.setBigUint64(table - TINY.load + 8 * index, value, true);
  entry(TINY.pml4, 0, BigInt(TINY.pdptLow) | P | W | U);
  entry(TINY.pml4, 256, BigInt(TINY.pdptHigh) | P | W);
  entry(TINY.pml4, 511, BigInt(TINY.pdptLow) | P | W | U);
  entry(TINY.pdptLow, 0, BigInt(TINY.pd) | P | W | U);
  entry(TINY.pdptLow, 1, 0x4000_0000n | P | W | PS);
  entry(TINY.pdptHigh, 0, BigInt(TINY.pd) | P | W | U);
  entry(TINY.pd, 0, 0n | P | W | PS);
  entry(TINY.pd, 1, BigInt(TINY.pt) | P | W | U);
  entry(TINY.pt, 0, 0x30_0000n | P | U);
  entry(TINY.pt, 1, 0x30_1000n | P | W | U | NX);
  entry(TINY.pt, 2, 0x30_2000n | P | W);
  entry(TINY.pt, 511, 0x7f_e000n | P | W | U);
  return img;
}

/** Where the 32-bit guest's page directory is (after the long-mode tables). */
export const TINY_PD32 = 0x106000;

/**
 * A guest that turns paging on WITHOUT long mode: 32-bit paging (CR4.PSE, one 4 MiB page
 * identity-mapping the first 4 MiB), EFER.LME = 0, so QEMU writes its core with EM_386.
 */
export function tinyProtectedModeImage(): Uint8Array {
  // biome-ignore format: one instruction per line
  const code = [
    0xb8, ...le32(TINY_PD32), // mov eax, PD
    0x0f, 0x22, 0xd8, // mov cr3, eax
    0x0f, 0x20, 0xe0, // mov eax, cr4
    0x83, 0xc8, 0x10, // or eax, CR4.PSE
    0x0f, 0x22, 0xe0, // mov cr4, eax
    0x0f, 0x20, 0xc0, // mov eax, cr0
    0x0d, ...le32(0x80010001), // or eax, CR0.PG | CR0.WP | CR0.PE: 32-bit paging from here
    0x0f, 0x22, 0xc0, // mov cr0, eax
    0xf4, // hlt
    0xeb, 0xfd, // jmp hlt
  ];
  const { img, dv } = multibootImage(TINY_PD32 + 0x1000 - TINY.load, code);
  dv.setUint32(TINY_PD32 - TINY.load, 0x83, true); // PDE 0: 4 MiB page at 0, P | R/W | PS
  return img;
}

const { READ: R, WRITE: WR, EXECUTE: X, USER: US } = MappingFlags;

/** One mapping the tiny guest's tables hold, worked out by hand from the entries above. */
export interface TinyMapping {
  va: bigint;
  pa: bigint;
  size: number;
  /** Effective flags (what the CPU enforces). */
  flags: number;
  /** The leaf's own flags where they differ. */
  leafFlags?: number;
}

function half(base: bigint, userAbove: boolean): TinyMapping[] {
  const u = userAbove ? US : 0;
  const own = (f: number) => (userAbove || !(f & US) ? undefined : f);
  const rows: TinyMapping[] = [
    { va: base, pa: 0n, size: 0x20_0000, flags: R | WR | X },
    { va: base + 0x20_0000n, pa: 0x30_0000n, size: 4096, flags: R | X | u, leafFlags: own(R | X | US) },
    { va: base + 0x20_1000n, pa: 0x30_1000n, size: 4096, flags: R | WR | u, leafFlags: own(R | WR | US) },
    { va: base + 0x20_2000n, pa: 0x30_2000n, size: 4096, flags: R | WR | X },
    { va: base + 0x3f_f000n, pa: 0x7f_e000n, size: 4096, flags: R | WR | X | u, leafFlags: own(R | WR | X | US) },
  ];
  return rows.map((r) => (r.leafFlags === undefined ? { va: r.va, pa: r.pa, size: r.size, flags: r.flags } : r));
}

/** Every leaf of the tiny guest, in VA order, under every VA that reaches it. */
export const TINY_MAPPINGS: readonly TinyMapping[] = [
  ...half(0n, true),
  { va: 0x4000_0000n, pa: 0x4000_0000n, size: 0x4000_0000, flags: R | WR | X },
  ...half(0xffff_8000_0000_0000n, false),
  ...half(0xffff_ff80_0000_0000n, true),
  { va: 0xffff_ff80_4000_0000n, pa: 0x4000_0000n, size: 0x4000_0000, flags: R | WR | X },
];

/** Whether `qemu-system-x86_64` runs here. */
export function hasQemu(): boolean {
  try {
    execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts QEMU on the tiny guest with QMP on a unix socket and the gdbstub on 127.0.0.1:gdbPort;
 * `extra` arguments go last (e.g. `-S`: stopped at reset, in real mode).
 */
export function startTinyGuest(image: string, qmpSocket: string, gdbPort: number, extra: string[] = []): ChildProcess {
  return spawn(
    'qemu-system-x86_64',
    [
      '-M',
      'pc',
      '-accel',
      'tcg',
      '-cpu',
      'max',
      '-m',
      '64M',
      '-smp',
      '1',
      '-kernel',
      image,
      '-no-reboot',
      ...headlessQemuArgs(`unix:${qmpSocket},server=on,wait=off`, gdbPort),
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}
