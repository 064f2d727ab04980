/**
 * The paging modes `ptm` knows, by the names the command line uses: each one
 * an arch package's page-table class plus what the output needs to speak the
 * arch's language (its table names, the register that holds the root).
 *
 * @module
 */

import { A64_METADATA, A64PageTable, type A64VaBits, a64TableMetadata, ttbrValue } from '@page-table/arch-aarch64';
import { LA64_3LEVEL_METADATA, LA64_4LEVEL_METADATA, LA64PageTable } from '@page-table/arch-loongarch64';
import {
  SatpMode,
  SV39_METADATA,
  SV48_METADATA,
  SV57_METADATA,
  Sv39PageTable,
  Sv48PageTable,
  Sv57PageTable,
  satp,
} from '@page-table/arch-riscv';
import { X64_LA57_METADATA, X64_METADATA, X64PageTable, X64PageTable5 } from '@page-table/arch-x86_64';
import type { PageTable64, PagingHandler, PagingMetaData } from '@page-table/core';
import type { AddrLike } from '@page-table/memory-addr';
import { usageError } from './errors.js';
import { hex } from './numbers.js';

/** The architectures, as `--arch` spells them. */
export type ArchName = 'x86_64' | 'riscv' | 'aarch64' | 'loongarch64';

/** One paging mode of one architecture. */
export interface Mode {
  /** Unique short name, also accepted by `--arch`: `x86_64`, `x86_64-la57`, `riscv-sv39`, … */
  readonly id: string;
  /** The architecture. */
  readonly arch: ArchName;
  /** The walker's metadata (its `name` is the human title, e.g. `x86_64 4-level`). */
  readonly meta: PagingMetaData;
  /** Number of table levels. */
  readonly levels: 3 | 4 | 5;
  /** The `--arch` (and `--levels`) arguments that select this mode, for printed commands. */
  readonly args: readonly string[];
  /** Name of the table at each level, as the arch's manual calls it (index 0 = last level). */
  readonly tableNames: readonly string[];
  /** Whether VAs can be in the upper (`0xffff_…`) range only through `--upper` (one TTBR per table). */
  readonly splitHalves: boolean;
  /** The bits an upper-range (TTBR1) VA carries above the walked ones (0 for modes without split halves). */
  readonly upperBits: bigint;
  /** The register value that makes `root` the active table, e.g. `CR3 = 0x101000`. */
  register(root: bigint, upper: boolean): string;
  /** A new empty table in `handler`. */
  create(handler: PagingHandler): PageTable64;
  /** Adopts the tables at `root` (read-only use: never owned). */
  fromRoot(handler: PagingHandler, root: AddrLike): PageTable64;
}

const X86_NAMES = ['PT', 'PD', 'PDPT', 'PML4', 'PML5'];
const RISCV_NAMES = ['L0', 'L1', 'L2', 'L3', 'L4']; // level i holds VPN[i], as the privileged spec numbers them
const A64_NAMES = ['L3', 'L2', 'L1', 'L0']; // Arm numbers from the root
const LA_NAMES = ['PT', 'Dir1', 'Dir2', 'Dir3'];

/** What the arch packages' page-table classes offer as statics. */
interface TableClass {
  create(handler: PagingHandler): PageTable64;
  fromRoot(handler: PagingHandler, root: AddrLike): PageTable64;
}

function riscv(id: string, levels: 3 | 4 | 5, meta: PagingMetaData, cls: TableClass, mode: SatpMode): Mode {
  return {
    id,
    arch: 'riscv',
    meta,
    levels,
    args: ['--arch', id],
    tableNames: RISCV_NAMES.slice(0, levels),
    splitHalves: false,
    upperBits: 0n,
    register: (root) => `satp = ${hex(satp(mode, 0, root))}`,
    create: (h) => cls.create(h),
    fromRoot: (h, root) => cls.fromRoot(h, root),
  };
}

/** Every mode, in the order the demo shows them. */
export const MODES: readonly Mode[] = [
  {
    id: 'x86_64',
    arch: 'x86_64',
    meta: X64_METADATA,
    levels: 4,
    args: ['--arch', 'x86_64'],
    tableNames: X86_NAMES.slice(0, 4),
    splitHalves: false,
    upperBits: 0n,
    register: (root) => `CR3 = ${hex(root)}`,
    create: (h) => X64PageTable.create(h),
    fromRoot: (h, root) => X64PageTable.fromRoot(h, root),
  },
  {
    id: 'x86_64-la57',
    arch: 'x86_64',
    meta: X64_LA57_METADATA,
    levels: 5,
    args: ['--arch', 'x86_64', '--levels', '5'],
    tableNames: X86_NAMES,
    splitHalves: false,
    upperBits: 0n,
    register: (root) => `CR3 = ${hex(root)} (CR4.LA57 = 1)`,
    create: (h) => X64PageTable5.create(h),
    fromRoot: (h, root) => X64PageTable5.fromRoot(h, root),
  },
  riscv('riscv-sv39', 3, SV39_METADATA, Sv39PageTable, SatpMode.Sv39),
  riscv('riscv-sv48', 4, SV48_METADATA, Sv48PageTable, SatpMode.Sv48),
  riscv('riscv-sv57', 5, SV57_METADATA, Sv57PageTable, SatpMode.Sv57),
  {
    id: 'aarch64',
    arch: 'aarch64',
    meta: A64_METADATA,
    levels: 4,
    args: ['--arch', 'aarch64'],
    tableNames: A64_NAMES,
    splitHalves: true,
    upperBits: 0xffff_0000_0000_0000n,
    register: (root, upper) => `${upper ? 'TTBR1_EL1' : 'TTBR0_EL1'} = ${hex(ttbrValue(root))}`,
    create: (h) => A64PageTable.create(h),
    fromRoot: (h, root) => A64PageTable.fromRoot(h, root),
  },
  {
    id: 'loongarch64',
    arch: 'loongarch64',
    meta: LA64_4LEVEL_METADATA,
    levels: 4,
    args: ['--arch', 'loongarch64'],
    tableNames: LA_NAMES,
    splitHalves: false,
    upperBits: 0n,
    register: (root) => `PGDL = PGDH = ${hex(root)}`,
    create: (h) => LA64PageTable.create(h),
    fromRoot: (h, root) => LA64PageTable.fromRoot(h, root),
  },
  {
    id: 'loongarch64-3level',
    arch: 'loongarch64',
    meta: LA64_3LEVEL_METADATA,
    levels: 3,
    args: ['--arch', 'loongarch64', '--levels', '3'],
    tableNames: LA_NAMES.slice(0, 3),
    splitHalves: false,
    upperBits: 0n,
    register: (root) => `PGDL = PGDH = ${hex(root)}`,
    create: (h) => LA64PageTable.create(h, { levels: 3 }),
    fromRoot: (h, root) => LA64PageTable.fromRoot(h, root, { levels: 3 }),
  },
];

/**
 * AArch64 with a 39-bit VA range (TCR_EL1.TnSZ = 25): 3 levels from L1. Not
 * in {@link MODES} (the demo builds 48-bit tables); `--arch aarch64 --levels 3`
 * or a TCR value selects it.
 */
export const AARCH64_39: Mode = {
  id: 'aarch64-39bit',
  arch: 'aarch64',
  meta: a64TableMetadata({ vaBits: 39 }),
  levels: 3,
  args: ['--arch', 'aarch64', '--levels', '3'],
  tableNames: A64_NAMES.slice(1),
  splitHalves: true,
  upperBits: 0xffff_ff80_0000_0000n,
  register: (root, upper) =>
    `${upper ? 'TTBR1_EL1' : 'TTBR0_EL1'} = ${hex(ttbrValue(root))}, TCR.T${upper ? 1 : 0}SZ = 25`,
  create: (h) => A64PageTable.create(h, { vaBits: 39 }),
  fromRoot: (h, root) => A64PageTable.fromRoot(h, root, { vaBits: 39 }),
};

const a64Modes = new Map<number, Mode>();

/**
 * The AArch64 mode of a VA width (64 - TCR_EL1.TnSZ, 36..48 with a 4 KiB
 * granule): the 48-bit one, {@link AARCH64_39}, or `aarch64-42bit` and the
 * like, whose walk starts in a partial top table (one object per width).
 */
export function aarch64Mode(vaBits: A64VaBits): Mode {
  if (vaBits === 48) return resolveMode('aarch64');
  if (vaBits === 39) return AARCH64_39;
  let m = a64Modes.get(vaBits);
  if (m === undefined) {
    const meta = a64TableMetadata({ vaBits }); // validates the width
    const levels = meta.levels;
    const tsz = 64 - vaBits;
    m = {
      id: `aarch64-${vaBits}bit`,
      arch: 'aarch64',
      meta,
      levels,
      args: ['--arch', 'aarch64', '--tcr', hex(BigInt(tsz) | (BigInt(tsz) << 16n) | (2n << 30n))],
      tableNames: A64_NAMES.slice(4 - levels),
      splitHalves: true,
      upperBits: (0xffff_ffff_ffff_ffffn >> BigInt(vaBits)) << BigInt(vaBits),
      register: (root, upper) =>
        `${upper ? 'TTBR1_EL1' : 'TTBR0_EL1'} = ${hex(ttbrValue(root))}, TCR.T${upper ? 1 : 0}SZ = ${tsz}`,
      create: (h) => A64PageTable.create(h, { vaBits }),
      fromRoot: (h, root) => A64PageTable.fromRoot(h, root, { vaBits }),
    };
    a64Modes.set(vaBits, m);
  }
  return m;
}

/** The names `--arch` accepts, with the `--levels` each allows (the first is the default). */
const ARCH_NAMES: Readonly<Record<string, { readonly arch: ArchName; readonly levels: readonly number[] }>> = {
  x86_64: { arch: 'x86_64', levels: [4, 5] },
  'x86_64-la57': { arch: 'x86_64', levels: [5] },
  riscv: { arch: 'riscv', levels: [3, 4, 5] },
  'riscv-sv39': { arch: 'riscv', levels: [3] },
  'riscv-sv48': { arch: 'riscv', levels: [4] },
  'riscv-sv57': { arch: 'riscv', levels: [5] },
  aarch64: { arch: 'aarch64', levels: [4, 3] },
  'aarch64-39bit': { arch: 'aarch64', levels: [3] },
  loongarch64: { arch: 'loongarch64', levels: [4, 3] },
  'loongarch64-3level': { arch: 'loongarch64', levels: [3] },
};

/**
 * Other spellings people type, each for one canonical name above (output
 * always uses the canonical one): Debian's and Linux's arch names, the
 * RISC-V mode names alone, LoongArch's short name.
 */
const ALIASES: Readonly<Record<string, string>> = {
  'x86-64': 'x86_64',
  amd64: 'x86_64',
  x64: 'x86_64',
  'x86_64-5level': 'x86_64-la57',
  'x86-64-la57': 'x86_64-la57',
  'amd64-la57': 'x86_64-la57',
  la57: 'x86_64-la57',
  riscv64: 'riscv',
  rv64: 'riscv',
  sv39: 'riscv-sv39',
  sv48: 'riscv-sv48',
  sv57: 'riscv-sv57',
  'riscv64-sv39': 'riscv-sv39',
  'riscv64-sv48': 'riscv-sv48',
  'riscv64-sv57': 'riscv-sv57',
  'rv64-sv39': 'riscv-sv39',
  'rv64-sv48': 'riscv-sv48',
  'rv64-sv57': 'riscv-sv57',
  arm64: 'aarch64',
  armv8: 'aarch64',
  'arm64-39bit': 'aarch64-39bit',
  la64: 'loongarch64',
  loongarch: 'loongarch64',
  'la64-3level': 'loongarch64-3level',
};

/** Every name `--arch` accepts (canonical ones first), for help and messages. */
export const ARCH_CHOICES: readonly string[] = Object.keys(ARCH_NAMES);

/** The aliases `--arch` accepts, with the canonical name each stands for. */
export const ARCH_ALIASES: Readonly<Record<string, string>> = ALIASES;

/** The canonical `--arch` name of what the user typed (case-insensitive), or undefined. */
export function canonicalArch(name: string): string | undefined {
  const n = name.trim().toLowerCase();
  if (Object.hasOwn(ARCH_NAMES, n)) return n;
  return Object.hasOwn(ALIASES, n) ? ALIASES[n] : undefined;
}

/**
 * The mode an `--arch` name and optional `--levels` select. Throws a usage
 * error for an unknown name or a level count the arch does not have.
 */
export function resolveMode(name: string, levels?: number): Mode {
  const canonical = canonicalArch(name);
  const entry = canonical === undefined ? undefined : ARCH_NAMES[canonical];
  if (entry === undefined) {
    throw usageError(
      `unknown arch '${name}' (choose one of ${ARCH_CHOICES.join(', ')}; aliases such as amd64, arm64, riscv64, sv39, la64 work too)`,
    );
  }
  const n = levels ?? entry.levels[0];
  if (!entry.levels.includes(n)) {
    throw usageError(`${name} has no ${n}-level mode (--levels ${entry.levels.join(' or ')})`);
  }
  if (entry.arch === 'aarch64' && n === 3) return AARCH64_39;
  const mode = MODES.find((m) => m.arch === entry.arch && m.levels === n);
  if (mode === undefined) throw new Error(`no mode for ${name} with ${n} levels`);
  return mode;
}
