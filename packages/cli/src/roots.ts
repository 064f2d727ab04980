/**
 * Where the tables start, from what a user has in hand: a root PA, or the
 * whole register a debugger or a core shows (`--cr3` with its PCID and flag
 * bits, `--satp` with its MODE and ASID, `--ttbr0` / `--ttbr1` with ASID and
 * CnP, and TCR_EL1's T0SZ/T1SZ/TG0/TG1/EPDn for the VA size and starting
 * level). Every field that cannot be walked is refused in one line naming it.
 *
 * @module
 */

import type { A64VaBits } from '@page-table/arch-aarch64';
import { MappingFlags } from '@page-table/core';
import { usageError } from './errors.js';
import { aarch64Mode, type Mode, resolveMode } from './modes.js';
import { hex, parseU64 } from './numbers.js';
import type { Parsed } from './options.js';

/** One table to walk: its mode, root and, on AArch64, which TTBR (and so VA range) it is. */
export interface TableSpec {
  /** The paging mode of this table (two AArch64 TTBRs may differ in VA size). */
  readonly mode: Mode;
  /** PA of the root table. */
  readonly root: bigint;
  /** AArch64: a TTBR1 table, whose VAs print in the upper range. */
  readonly upper: boolean;
}

/** The tables of a command line and how their roots were given. */
export interface Roots {
  /** The tables, in VA order (TTBR0 before TTBR1). */
  readonly tables: readonly TableSpec[];
  /** What gave the roots, for the JSON `root.detail`: `--root`, `--cr3 0x…`, … */
  readonly detail: string;
  /** Notes for stderr (a register field ptm ignored, a TTBR whose walks TCR disables). */
  readonly notes: readonly string[];
}

/** The register options that give roots, shared by the image commands. */
export const ROOT_OPTIONS = {
  root: { type: 'string' },
  upper: { type: 'boolean' },
  cr3: { type: 'string' },
  cr4: { type: 'string' },
  satp: { type: 'string' },
  ttbr0: { type: 'string' },
  ttbr1: { type: 'string' },
  tcr: { type: 'string' },
} as const;

/** CR3 bits 51:12: the PML4 (PML5) table; bits 11:0 are PCID or PWT/PCD, bit 63 is no-flush. */
const CR3_ROOT = 0x000f_ffff_ffff_f000n;
/** TTBRn_EL1 BADDR of a 4 KiB-aligned table, bits 47:12 (ASID is 63:48, CnP bit 0). */
const TTBR_ROOT = 0x0000_ffff_ffff_f000n;
/** CR4.LA57 (bit 12): 5-level paging. */
const CR4_LA57 = 1n << 12n;

const SATP_MODES: Readonly<Record<number, string>> = { 8: 'riscv-sv39', 9: 'riscv-sv48', 10: 'riscv-sv57' };

/**
 * The tables the options name. `mode` is the one `--arch`/`--levels` chose,
 * or undefined when they were not given: the registers then say the arch.
 */
export function rootsOption(p: Parsed, command: string, mode: Mode | undefined): Roots {
  // translate passes --satp to the MMU too: with --root there, it is the MMU's register, not a second root.
  const candidates =
    command === 'translate' && str(p, 'root') !== undefined
      ? (['root', 'cr3', 'ttbr0', 'ttbr1'] as const)
      : (['root', 'cr3', 'satp', 'ttbr0', 'ttbr1'] as const);
  const given = candidates.filter((n) => str(p, n) !== undefined);
  if (given.length === 0) {
    throw usageError(
      `ptm ${command} needs --root PA, or the register that holds it: --cr3, --satp, --ttbr0/--ttbr1 (see ptm ${command} --help)`,
    );
  }
  if (given.includes('root') && given.length > 1) {
    throw usageError(
      `give --root or --${given.filter((n) => n !== 'root')[0]}, not both: each says where the table is`,
    );
  }
  const upper = p.values.upper === true;
  if (upper && given[0] !== 'root') throw usageError('--upper goes with --root; --ttbr1 already names the TTBR1 table');
  const tcr = optional(p, 'tcr');
  const cr4 = optional(p, 'cr4');
  switch (given[0]) {
    case 'root': {
      if (mode === undefined) throw usageError(`ptm ${command} needs --arch with --root (see ptm ${command} --help)`);
      if (upper && !mode.splitHalves)
        throw usageError(`--upper is for aarch64 TTBR1 tables; ${mode.meta.name} VAs are already sign-extended`);
      // translate hands --tcr to the MMU, which checks it; here it only sizes the VA range of dump, stats, find-pa.
      const m =
        mode.arch === 'aarch64' && tcr !== undefined && command !== 'translate'
          ? a64Mode(tcr, upper ? 1 : 0, mode).mode
          : mode;
      const root = parseU64(str(p, 'root') ?? '', '--root');
      if (root % 4096n !== 0n)
        throw usageError(`--root ${hex(root)} is not 4 KiB aligned (a root table fills one frame)`);
      return { tables: [{ mode: m, root, upper }], detail: '--root', notes: [] };
    }
    case 'cr3': {
      const m = x86Mode(mode, cr4);
      const cr3 = parseU64(str(p, 'cr3') ?? '', '--cr3');
      const low = cr3 & ~CR3_ROOT;
      const detail = `--cr3 ${hex(cr3)}${low === 0n ? '' : ` (bits ${hex(low)} masked: PCID, PWT/PCD, no-flush)`}`;
      return { tables: [{ mode: m, root: cr3 & CR3_ROOT, upper: false }], detail, notes: [] };
    }
    case 'satp':
      return satpRoots(parseU64(str(p, 'satp') ?? '', '--satp'), mode);
    default:
      return ttbrRoots(p, mode, tcr);
  }
}

// options.ts spreads ROOT_OPTIONS at load time, so this module reads values itself rather than import its helpers.
function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

function optional(p: Parsed, name: string): bigint | undefined {
  const text = str(p, name);
  return text === undefined ? undefined : parseU64(text, `--${name}`);
}

function x86Mode(mode: Mode | undefined, cr4: bigint | undefined): Mode {
  if (mode !== undefined && mode.arch !== 'x86_64')
    throw usageError(`--cr3 is an x86_64 register; --arch says ${mode.id}`);
  if (cr4 === undefined) return mode ?? resolveMode('x86_64');
  const levels = (cr4 & CR4_LA57) !== 0n ? 5 : 4;
  if (mode !== undefined && mode.levels !== levels) {
    throw usageError(
      `--cr4 ${hex(cr4)} has LA57 = ${levels === 5 ? 1 : 0} (${levels}-level paging); --arch/--levels say ${mode.levels} levels`,
    );
  }
  return resolveMode('x86_64', levels);
}

function satpRoots(satp: bigint, mode: Mode | undefined): Roots {
  if (mode !== undefined && mode.arch !== 'riscv')
    throw usageError(`--satp is a RISC-V register; --arch says ${mode.id}`);
  const field = Number(satp >> 60n);
  if (field === 0)
    throw usageError(`--satp ${hex(satp)}: MODE is Bare (0), translation is off: there is no table to walk`);
  const id = SATP_MODES[field];
  if (id === undefined)
    throw usageError(`--satp ${hex(satp)}: MODE ${field} is reserved or not RV64's (8 Sv39, 9 Sv48, 10 Sv57)`);
  const m = resolveMode(id);
  if (mode !== undefined && mode.id !== m.id)
    throw usageError(`--satp ${hex(satp)} has MODE ${field} (${m.id}); --arch says ${mode.id}`);
  const asid = (satp >> 44n) & 0xffffn;
  const root = (satp & ((1n << 44n) - 1n)) << 12n;
  return {
    tables: [{ mode: m, root, upper: false }],
    detail: `--satp ${hex(satp)} (MODE ${field}, ASID ${hex(asid)}, PPN ${hex(root >> 12n)})`,
    notes: [],
  };
}

/** TCR_EL1 fields of one half: TnSZ, TGn as a granule in KiB, EPDn. */
function tcrHalf(tcr: bigint, half: 0 | 1): { tsz: number; granule: number; disabled: boolean } {
  const at = half === 0 ? 0n : 16n;
  const tsz = Number((tcr >> at) & 0x3fn);
  const disabled = ((tcr >> (at + 7n)) & 1n) === 1n;
  const tg = Number((tcr >> (half === 0 ? 14n : 30n)) & 3n);
  // TG0: 00 4K, 01 64K, 10 16K; TG1: 01 16K, 10 4K, 11 64K.
  const granule = half === 0 ? [4, 64, 16, 0][tg] : [0, 16, 4, 64][tg];
  return { tsz, granule, disabled };
}

/** The AArch64 mode of one TTBR from TCR_EL1: 64 - TnSZ VA bits (TnSZ 16..28: 48- to 36-bit VAs), 4 KiB granule. */
function a64Mode(tcr: bigint, half: 0 | 1, mode: Mode | undefined): { mode: Mode; disabled: boolean } {
  const { tsz, granule, disabled } = tcrHalf(tcr, half);
  const name = `TCR_EL1 ${hex(tcr)}: T${half}SZ = ${tsz}`;
  if (granule !== 4) {
    throw usageError(
      `TCR_EL1 ${hex(tcr)}: TG${half} selects a ${granule === 0 ? 'reserved' : `${granule} KiB`} granule; ptm walks 4 KiB-granule tables`,
    );
  }
  if (tsz < 16 || tsz > 28) {
    throw usageError(
      `${name} (${64 - tsz}-bit VA): ptm walks 4 KiB-granule tables of T${half}SZ = 16..28 (48- to 36-bit VAs; ${tsz < 16 ? 'below 16 needs FEAT_LPA2/LVA' : 'above 28 the walk starts at level 2'})`,
    );
  }
  const m = aarch64Mode((64 - tsz) as A64VaBits);
  if (mode !== undefined && mode.levels !== m.levels)
    throw usageError(`${name} gives ${m.levels} levels; --arch/--levels say ${mode.levels}`);
  return { mode: m, disabled };
}

function ttbrRoots(p: Parsed, mode: Mode | undefined, tcr: bigint | undefined): Roots {
  if (mode !== undefined && mode.arch !== 'aarch64')
    throw usageError(`--ttbr0/--ttbr1 are AArch64 registers; --arch says ${mode.id}`);
  const tables: TableSpec[] = [];
  const notes: string[] = [];
  const details: string[] = [];
  for (const half of [0, 1] as const) {
    const value = optional(p, `ttbr${half}`);
    if (value === undefined) continue;
    const reg = `TTBR${half}_EL1`;
    if ((value & 0xffen) !== 0n)
      throw usageError(`--ttbr${half} ${hex(value)}: BADDR is not 4 KiB aligned (bits 11:1 set)`);
    const chosen =
      tcr === undefined ? { mode: mode ?? resolveMode('aarch64'), disabled: false } : a64Mode(tcr, half, mode);
    if (chosen.disabled) {
      notes.push(`TCR_EL1.EPD${half} = 1: the CPU makes no walks from ${reg}; it is listed anyway`);
    }
    const root = value & TTBR_ROOT;
    details.push(`--ttbr${half} ${hex(value)}${value === root ? '' : ` (ASID/CnP ${hex(value & ~TTBR_ROOT)} masked)`}`);
    tables.push({ mode: chosen.mode, root, upper: half === 1 });
  }
  if (tcr !== undefined) details.push(`--tcr ${hex(tcr)}`);
  return { tables, detail: details.join(', '), notes };
}

/** The MAIR_ELx option. */
export const MAIR_OPTION = { mair: { type: 'string' } } as const;

/**
 * What each AttrIndx means under a MAIR value, as flags: DEVICE for Device
 * memory (Attr<n>[7:4] = 0), UNCACHED for Normal inner and outer
 * non-cacheable (0x44), nothing for cacheable Normal memory.
 */
export function mairTypes(mair: bigint): readonly number[] {
  const types: number[] = [];
  for (let i = 0; i < 8; i++) {
    const attr = Number((mair >> BigInt(8 * i)) & 0xffn);
    types.push(attr >> 4 === 0 ? MappingFlags.DEVICE : attr === 0x44 ? MappingFlags.UNCACHED : 0);
  }
  return types;
}

/** The memory-type flags a leaf entry has under `types` (from {@link mairTypes}): its AttrIndx (bits 4:2) looked up. */
export function a64LeafFlags(types: readonly number[], entry: bigint, flags: number): number {
  const idx = (Number(entry & 0xffn) >> 2) & 7;
  return (flags & ~(MappingFlags.DEVICE | MappingFlags.UNCACHED)) | types[idx];
}
