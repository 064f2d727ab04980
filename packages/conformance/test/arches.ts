/**
 * Every page-table type under test, and where each architecture deliberately
 * differs, said in data: which flag sets it rejects, what flags read back as.
 */
import { A64PageTable } from '@page-table/arch-aarch64';
import { LA64PageTable } from '@page-table/arch-loongarch64';
import { Sv39PageTable, Sv48PageTable, Sv57PageTable } from '@page-table/arch-riscv';
import { X64PageTable, X64PageTable5 } from '@page-table/arch-x86_64';
import { MappingFlags as F, type PageTable64, type PagingHandler } from '@page-table/core';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE: DEV, UNCACHED: UC } = F;

/** One paging mode of one architecture, as the suite sees it. */
export interface ArchCase {
  name: string;
  levels: 3 | 4 | 5;
  vaBits: number;
  /** `sign-extend`: high half starts at 2^64 - 2^(vaBits-1); `top-bits-*` (AArch64 TTBR0 / TTBR1): bits vaBits..63 all 0 / all 1. */
  vaCheck: 'sign-extend' | 'top-bits-lower' | 'top-bits-upper';
  /** The halves of the address space one table translates. */
  halves: ReadonlyArray<'low' | 'high'>;
  paBits: number;
  create(h: PagingHandler): PageTable64;
  fromRoot(h: PagingHandler, root: number | bigint): PageTable64;
  /** Access combinations (beyond "no access") the arch cannot encode. */
  rejects(flags: number): boolean;
  /** What a leaf mapped with `flags` reads back as. */
  normalize(flags: number): number;
}

/** Memory type kept as DEVICE, else UNCACHED, else nothing. */
const memType = (f: number) => (f & DEV ? DEV : f & UC ? UC : 0);

const both = ['low', 'high'] as const;

const x86 = {
  vaCheck: 'sign-extend' as const,
  halves: both,
  paBits: 52,
  // No write-only or execute-only pages: every present page is readable; PCD|PWT reads back as UNCACHED.
  rejects: () => false,
  normalize: (f: number) => R | (f & (W | X | U)) | (f & (DEV | UC) ? UC : 0),
};
const riscv = {
  vaCheck: 'sign-extend' as const,
  halves: both,
  paBits: 56,
  // W without R is reserved; DEVICE/UNCACHED have no encoding without Svpbmt or XuanTie bits.
  rejects: (f: number) => (f & W) !== 0 && (f & R) === 0,
  normalize: (f: number) => f & (R | W | X | U),
};
const aarch64 = {
  levels: 4 as const,
  vaBits: 48,
  paBits: 48,
  // A descriptor without READ would be invalid.
  rejects: (f: number) => (f & R) === 0,
};
const loongarch = {
  vaCheck: 'sign-extend' as const,
  halves: both,
  paBits: 48,
  // NR makes READ-less pages real.
  rejects: () => false,
  normalize: (f: number) => (f & (R | W | X | U)) | memType(f),
};

/** Every page-table type the suite runs on. */
export const ARCHES: ArchCase[] = [
  {
    name: 'x86_64 4-level',
    levels: 4,
    vaBits: 48,
    ...x86,
    create: (h) => X64PageTable.create(h),
    fromRoot: (h, r) => X64PageTable.fromRoot(h, r),
  },
  {
    name: 'x86_64 LA57',
    levels: 5,
    vaBits: 57,
    ...x86,
    create: (h) => X64PageTable5.create(h),
    fromRoot: (h, r) => X64PageTable5.fromRoot(h, r),
  },
  {
    name: 'riscv Sv39',
    levels: 3,
    vaBits: 39,
    ...riscv,
    create: (h) => Sv39PageTable.create(h),
    fromRoot: (h, r) => Sv39PageTable.fromRoot(h, r),
  },
  {
    name: 'riscv Sv48',
    levels: 4,
    vaBits: 48,
    ...riscv,
    create: (h) => Sv48PageTable.create(h),
    fromRoot: (h, r) => Sv48PageTable.fromRoot(h, r),
  },
  {
    name: 'riscv Sv57',
    levels: 5,
    vaBits: 57,
    ...riscv,
    create: (h) => Sv57PageTable.create(h),
    fromRoot: (h, r) => Sv57PageTable.fromRoot(h, r),
  },
  {
    // One table per TTBR: TTBR0_EL1 translates the lower range only.
    name: 'aarch64 EL1 TTBR0',
    ...aarch64,
    vaCheck: 'top-bits-lower',
    halves: ['low'],
    normalize: (f) => (f & (R | W | X | U)) | memType(f),
    create: (h) => A64PageTable.create(h, { range: 'lower' }),
    fromRoot: (h, r) => A64PageTable.fromRoot(h, r, { range: 'lower' }),
  },
  {
    name: 'aarch64 EL1 TTBR1',
    ...aarch64,
    vaCheck: 'top-bits-upper',
    halves: ['high'],
    normalize: (f) => (f & (R | W | X | U)) | memType(f),
    create: (h) => A64PageTable.create(h, { range: 'upper' }),
    fromRoot: (h, r) => A64PageTable.fromRoot(h, r, { range: 'upper' }),
  },
  {
    // EL2 without VHE has TTBR0_EL2 only, and no EL0 permissions: USER is not encoded.
    name: 'aarch64 EL2',
    ...aarch64,
    vaCheck: 'top-bits-lower',
    halves: ['low'],
    normalize: (f) => (f & (R | W | X)) | memType(f),
    create: (h) => A64PageTable.create(h, { regime: 'el2', range: 'lower' }),
    fromRoot: (h, r) => A64PageTable.fromRoot(h, r, { regime: 'el2', range: 'lower' }),
  },
  {
    name: 'loongarch64 4-level',
    levels: 4,
    vaBits: 48,
    ...loongarch,
    create: (h) => LA64PageTable.create(h),
    fromRoot: (h, r) => LA64PageTable.fromRoot(h, r),
  },
  {
    name: 'loongarch64 3-level',
    levels: 3,
    vaBits: 39,
    ...loongarch,
    create: (h) => LA64PageTable.create(h, { levels: 3 }),
    fromRoot: (h, r) => LA64PageTable.fromRoot(h, r, { levels: 3 }),
  },
];

/** Whether `flags` can be mapped on `arch` (the walker rejects unknown bits and no-access everywhere). */
export function accepts(arch: ArchCase, flags: number): boolean {
  return (flags & ~0x3f) === 0 && (flags & 7) !== 0 && !arch.rejects(flags);
}

/** First VA of the first half the table translates. */
export function firstVa(arch: ArchCase): bigint {
  return arch.halves[0] === 'low' ? 0n : highHalfStart(arch);
}

/** One past the last VA the table translates (2^64 when it has the high half). */
export function endVa(arch: ArchCase): bigint {
  return arch.halves.includes('high') ? 1n << 64n : lowHalfEnd(arch);
}

/** First VA of the high half (as a bigint). */
export function highHalfStart(arch: ArchCase): bigint {
  const bit = arch.vaCheck === 'sign-extend' ? arch.vaBits - 1 : arch.vaBits;
  return (1n << 64n) - (1n << BigInt(bit));
}

/** One past the last VA of the low half. */
export function lowHalfEnd(arch: ArchCase): bigint {
  const bit = arch.vaCheck === 'sign-extend' ? arch.vaBits - 1 : arch.vaBits;
  return 1n << BigInt(bit);
}

/** The number-or-bigint canonical form of a VA, as the library returns it. */
export function canon(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
