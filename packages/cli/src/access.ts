/**
 * An access checked by the arch's emulator MMU (`X64Mmu`, `RiscvMmu`,
 * `A64Mmu`, `LA64Mmu`) over the image's memory: the registers built from
 * the command line and the mode's defaults, and each VA's `debugTranslate`
 * (which writes nothing) turned into one shape — the walk as the MMU read
 * it, the effective permissions, and the PA or the exact fault in the arch's
 * own terms.
 *
 * @module
 */

import { A64_MMU_DEFAULTS, A64Mmu, type A64MmuOptions, ttbrValue } from '@page-table/arch-aarch64';
import {
  LA64_MMU_DEFAULT_CRMD,
  LA64Mmu,
  PWCH_3LEVEL,
  PWCH_4LEVEL,
  PWCL_3LEVEL,
  PWCL_4LEVEL,
} from '@page-table/arch-loongarch64';
import { parseSatp, RiscvMmu, SatpMode, satp } from '@page-table/arch-riscv';
import { X64_MMU_DEFAULTS, X64Mmu, x64PagingMode } from '@page-table/arch-x86_64';
import type { Access, DebugTranslation, EmulatorMmu, MappingFlags, PhysMemory } from '@page-table/core';
import { usageError } from './errors.js';
import { accessName, type MmuRequest } from './mmu-options.js';
import type { Mode } from './modes.js';
import { hex } from './numbers.js';

/** One entry the MMU read, root first. */
export interface AccessStep {
  /** Level from the leaves (0 = the 4 KiB-page table). */
  level: number;
  /** The table's name in the arch's manual. */
  table: string;
  /** Index in the table. */
  index: number;
  /** PA of the entry. */
  entryPa: bigint;
  /** The raw 64-bit entry. */
  entry: bigint;
  /** How the MMU read the entry, when it says (AArch64: table, block, page, invalid, reserved). */
  kind?: string;
}

/** A fault in the arch's own terms. */
export interface AccessFault {
  /** The exception's name: `#PF`, `#GP`, `load page fault`, `Data Abort`, `PME`, `TLBR`, … */
  name: string;
  /** The whole fault on one line, as the arch's manual would write it. */
  summary: string;
  /** Decoded fields for people, each a label and its text. */
  detail: Array<[string, string]>;
  /** The fault's fields for `--json` (schema in the README). */
  json: Record<string, unknown>;
}

/** A descriptor write the access would make (and the debug walk did not make). */
export interface AccessUpdate {
  /** PA of the entry. */
  entryPa: bigint;
  /** The entry as read. */
  before: bigint;
  /** The entry the access would write. */
  after: bigint;
}

/** What the MMU says about one access to one VA. */
export interface AccessOutcome {
  /** The VA checked. */
  va: bigint;
  /** Every entry the MMU read, root first (none for a VA it refuses before walking). */
  steps: AccessStep[];
  /** The translation, when the access is allowed. */
  ok?: {
    /** PA of the access. */
    pa: bigint;
    /** Bytes of the leaf that mapped it. */
    size: bigint;
    /** Effective permissions. */
    flags: MappingFlags;
  };
  /** The fault, when it is not. */
  fault?: AccessFault;
  /** Effective permissions of the leaf the walk reached (also on a fault); undefined when it reached none, or the MMU does not say. */
  permissions?: MappingFlags;
  /** Where and why the walk stopped, in the MMU's words. */
  stop?: string;
  /** The write a real access would make to the leaf (x86_64 A/D, RISC-V A/D with Svadu, AArch64 AF/dirty with TCR.HA/HD). */
  update?: AccessUpdate;
  /** Arch-specific facts about the walk, JSON-ready (schema in the README). */
  details: Record<string, unknown>;
  /** How the PA was made when no page mapped it (LoongArch direct translation or a window), for people. */
  via?: string;
}

/** An MMU set up for one access kind and privilege over an image. */
export interface AccessProbe {
  /** The access checked. */
  readonly access: Access;
  /** The privilege, as the arch names it: `CPL 3`, `S-mode`, `EL0`, `PLV3`. */
  readonly privilege: string;
  /** Whether that is the arch's user mode. */
  readonly user: boolean;
  /** The registers the MMU was built from, as the arch names them, in order. */
  readonly registers: ReadonlyArray<readonly [string, bigint | boolean]>;
  /** Runs `debugTranslate(va, access)`: no write to memory, no TLB, no counter. */
  run(va: bigint): AccessOutcome;
}

/** x86_64 defaults. @deprecated Use `X64_MMU_DEFAULTS` of `@page-table/arch-x86_64` (the same object). */
export const X64_DEFAULTS = X64_MMU_DEFAULTS;
/** AArch64 defaults. @deprecated Use `A64_MMU_DEFAULTS` of `@page-table/arch-aarch64` (the same object). */
export const A64_DEFAULTS = A64_MMU_DEFAULTS;
/** LoongArch64 default CRMD. @deprecated Use `LA64_MMU_DEFAULT_CRMD` of `@page-table/arch-loongarch64` (the same value). */
export const LA64_DEFAULT_CRMD = LA64_MMU_DEFAULT_CRMD;

/**
 * Builds the arch's MMU over `memory` with the registers of `request`, the
 * others derived from the mode, the root (the table `--root` gives) and
 * `upper` (AArch64: the table is a TTBR1 one). Throws a usage error for
 * registers that contradict the mode or root, or that the MMU refuses.
 */
export function createAccessProbe(
  mode: Mode,
  memory: PhysMemory,
  root: bigint,
  upper: boolean,
  request: MmuRequest,
): AccessProbe {
  switch (mode.arch) {
    case 'x86_64':
      return x86Probe(mode, memory, root, request);
    case 'riscv':
      return riscvProbe(mode, memory, root, request);
    case 'aarch64':
      return a64Probe(memory, root, upper, request);
    case 'loongarch64':
      return la64Probe(mode, memory, root, request);
  }
}

/** Runs an MMU constructor, turning its `RangeError` (a register value it cannot hold) into a usage error. */
function construct<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) throw usageError(e.message);
    throw e;
  }
}

/**
 * The one adapter from an MMU's shared debug report to an {@link AccessOutcome}:
 * the walk with the manual's table names, the PA or the fault in the arch's
 * words (its `describeFault`), the leaf's permissions, the write a real
 * access would make to the leaf, plus the arch's own `details` and `via`.
 */
function probe<F, D extends DebugTranslation<F>>(
  mmu: Omit<EmulatorMmu<F>, 'debugTranslate'> & { debugTranslate(va: bigint, access: Access): D },
  request: MmuRequest,
  privilege: number,
  registers: ReadonlyArray<readonly [string, bigint | boolean]>,
  extra: (d: D) => Pick<AccessOutcome, 'details' | 'via'>,
): AccessProbe {
  const info = mmu.info;
  return {
    access: request.access,
    privilege: info.privileges[privilege] ?? String(privilege),
    user: privilege === info.userPrivilege,
    registers,
    run(va) {
      const d = mmu.debugTranslate(va, request.access);
      const r = d.result;
      const ok = 'paddr' in r ? { pa: BigInt(r.paddr), size: BigInt(r.size), flags: r.flags } : undefined;
      const f = 'paddr' in r ? undefined : mmu.describeFault(r.fault);
      const last = d.steps.at(-1);
      const leafUpdate = d.updates.at(-1);
      const update =
        leafUpdate !== undefined && last !== undefined && leafUpdate.entryPaddr === last.entryPaddr
          ? { entryPa: BigInt(leafUpdate.entryPaddr), before: leafUpdate.before, after: leafUpdate.after }
          : undefined;
      return {
        va,
        steps: d.steps.map((s) => ({
          level: s.level,
          table: info.tables[s.level],
          index: s.index,
          entryPa: BigInt(s.entryPaddr),
          entry: s.entry,
          ...('kind' in s && typeof s.kind === 'string' ? { kind: s.kind } : {}),
        })),
        ok,
        fault:
          f === undefined
            ? undefined
            : { name: f.name, summary: f.summary, detail: f.detail.map(([k, v]) => [k, v]), json: { ...f.fields } },
        permissions: d.permissions ?? ok?.flags,
        stop: d.stop,
        update,
        ...extra(d),
      };
    },
  };
}

// ---------------------------------------------------------------- x86_64

function x86Probe(mode: Mode, memory: PhysMemory, root: bigint, request: MmuRequest): AccessProbe {
  const r = request.registers;
  const la57 = mode.levels === 5;
  const D = X64_MMU_DEFAULTS;
  const regs = {
    cr0: r.cr0 ?? D.cr0,
    cr3: root,
    cr4: r.cr4 ?? D.cr4 | (la57 ? D.la57 : 0n),
    efer: r.efer ?? D.efer,
    rflags: r.rflags ?? D.rflags,
    pkru: r.pkru ?? D.pkru,
  };
  const cpl = request.privilege ?? 0;
  // The mode first: PAE paging would load PDPTEs from 64-bit tables.
  const paging = construct(() => x64PagingMode(regs));
  if (paging === '32-bit' || paging === 'pae') {
    throw usageError(
      `CR0 ${hex(regs.cr0)}, CR4 ${hex(regs.cr4)} and EFER ${hex(regs.efer)} select ${paging === 'pae' ? 'PAE' : '32-bit'} paging outside IA-32e mode, but the tables are ${mode.meta.name} (4-level paging needs CR0.PG, CR4.PAE and EFER.LME)`,
    );
  }
  const mmu = construct(() => new X64Mmu(memory, { ...regs, cpl }));
  if ((paging === '5-level') !== la57 && paging !== 'disabled') {
    throw usageError(
      `--cr4 ${hex(regs.cr4)} ${la57 ? 'clears' : 'sets'} LA57 (bit 12) but the tables are ${mode.meta.name}${la57 ? '' : ' (add --levels 5 for 5-level tables)'}`,
    );
  }
  const registers = [
    ['CR0', regs.cr0],
    ['CR3', regs.cr3],
    ['CR4', regs.cr4],
    ['EFER', regs.efer],
    ['RFLAGS', regs.rflags],
    ['PKRU', regs.pkru],
  ] as const;
  return probe(mmu, request, cpl, registers, () => ({ details: { pagingMode: paging } }));
}

// ------------------------------------------------------------------ RISC-V

const SATP_MODES: Readonly<Record<number, SatpMode>> = { 3: SatpMode.Sv39, 4: SatpMode.Sv48, 5: SatpMode.Sv57 };
const SATP_NAMES: Readonly<Record<number, string>> = { 0: 'Bare', 8: 'Sv39', 9: 'Sv48', 10: 'Sv57' };

function riscvProbe(mode: Mode, memory: PhysMemory, root: bigint, request: MmuRequest): AccessProbe {
  const r = request.registers;
  const sv = SATP_MODES[mode.levels];
  const satpValue = r.satp ?? satp(sv, 0, root);
  const mstatus = r.mstatus ?? 0n;
  const priv = request.privilege ?? 1;
  const fields = parseSatp(satpValue);
  if (SATP_NAMES[fields.mode] === undefined) {
    throw usageError(`--satp ${hex(satpValue)}: MODE ${fields.mode} is not Bare (0), Sv39 (8), Sv48 (9) or Sv57 (10)`);
  }
  const mmu = construct(
    () => new RiscvMmu(memory, { satp: satpValue, mstatus, priv: priv as 0 | 1 | 3, svadu: request.svadu }),
  );
  if (fields.mode !== SatpMode.Bare) {
    if (fields.mode !== sv) {
      throw usageError(
        `--satp ${hex(satpValue)} selects ${SATP_NAMES[fields.mode]} but the tables are ${SATP_NAMES[sv]} (--arch ${mode.id})`,
      );
    }
    if (BigInt(fields.root) !== root) {
      throw usageError(
        `--satp ${hex(satpValue)} has its root table at ${hex(BigInt(fields.root))} (PPN << 12), not at --root ${hex(root)}`,
      );
    }
  }
  const registers = [
    ['satp', mmu.satp],
    ['mstatus', mmu.mstatus],
    ['Svadu', request.svadu],
  ] as const;
  return probe(mmu, request, priv, registers, (d) => ({
    details: { scheme: d.mode, priv: ['U', 'S', '', 'M'][d.priv] },
  }));
}

// ----------------------------------------------------------------- AArch64

function a64Probe(memory: PhysMemory, root: bigint, upper: boolean, request: MmuRequest): AccessProbe {
  const r = request.registers;
  const D = A64_MMU_DEFAULTS;
  const el = (request.privilege ?? 1) as 0 | 1 | 2;
  const ttbr = construct(() => BigInt(ttbrValue(root)));
  let options: A64MmuOptions;
  let registers: Array<[string, bigint | boolean]>;
  if (el === 2) {
    if (upper)
      throw usageError(
        '--upper: the EL2 regime (E2H = 0) has one range, from TTBR0_EL2; a TTBR1 table is for EL0 and EL1',
      );
    if (request.pan) throw usageError('--pan: PSTATE.PAN has no effect at EL2 (E2H = 0); it is for EL1 accesses');
    const regs = {
      ttbr0El2: ttbr,
      tcrEl2: r.tcr ?? D.tcrEl2,
      sctlrEl2: r.sctlr ?? D.sctlrEl2,
      mairEl2: r.mair ?? D.mair,
    };
    options = { ...regs, el };
    registers = [
      ['TTBR0_EL2', regs.ttbr0El2],
      ['TCR_EL2', regs.tcrEl2],
      ['SCTLR_EL2', regs.sctlrEl2],
      ['MAIR_EL2', regs.mairEl2],
    ];
  } else {
    const regs = {
      ttbr0: upper ? 0n : ttbr,
      ttbr1: upper ? ttbr : 0n,
      tcr: r.tcr ?? D.tcr | (upper ? D.epd0 : D.epd1),
      sctlr: r.sctlr ?? D.sctlr,
      mair: r.mair ?? D.mair,
    };
    options = { ...regs, el, pan: request.pan };
    registers = [
      ['TTBR0_EL1', regs.ttbr0],
      ['TTBR1_EL1', regs.ttbr1],
      ['TCR_EL1', regs.tcr],
      ['SCTLR_EL1', regs.sctlr],
      ['MAIR_EL1', regs.mair],
      ['PAN', request.pan],
    ];
  }
  const mmu = construct(() => new A64Mmu(memory, options));
  return probe(mmu, request, el, registers, (d) => ({
    details: { regime: d.regime, ttbr: d.ttbr ?? null, startLevel: d.startLevel ?? null },
  }));
}

// ------------------------------------------------------------- LoongArch64

function la64Probe(mode: Mode, memory: PhysMemory, root: bigint, request: MmuRequest): AccessProbe {
  const r = request.registers;
  let crmd = r.crmd ?? LA64_MMU_DEFAULT_CRMD;
  if (request.privilege !== undefined) crmd = (crmd & ~3n) | BigInt(request.privilege);
  const three = mode.levels === 3;
  const regs = {
    crmd,
    pgdl: root,
    pgdh: root,
    pwcl: r.pwcl ?? BigInt(three ? PWCL_3LEVEL : PWCL_4LEVEL),
    pwch: r.pwch ?? BigInt(three ? PWCH_3LEVEL : PWCH_4LEVEL),
  };
  const mmu = construct(() => new LA64Mmu(memory, { ...regs, ptw: request.ptw }));
  const registers = [
    ['CRMD', regs.crmd],
    ['PGDL', regs.pgdl],
    ['PGDH', regs.pgdh],
    ['PWCL', regs.pwcl],
    ['PWCH', regs.pwch],
    ['PTW', request.ptw],
  ] as const;
  return probe(mmu, request, Number(crmd & 3n), registers, (d) => ({
    details: { path: d.path, dmw: d.dmw ?? null },
    via:
      d.path === 'direct'
        ? 'direct address translation (CRMD.DA = 1)'
        : d.path === 'dmw'
          ? `direct-mapped window DMW${d.dmw}`
          : undefined,
  }));
}

/** The name of a leaf size: `4K`, `2M`, `1G`, `64K`, `512G`, `256T`, … (the largest binary unit that divides it). */
export function sizeName(bytes: bigint): string {
  const units: ReadonlyArray<readonly [bigint, string]> = [
    [1n << 50n, 'P'],
    [1n << 40n, 'T'],
    [1n << 30n, 'G'],
    [1n << 20n, 'M'],
    [1n << 10n, 'K'],
  ];
  for (const [unit, name] of units) if (bytes >= unit && bytes % unit === 0n) return `${bytes / unit}${name}`;
  return `${bytes}B`;
}

/** `read`, `write` or `execute`, re-exported for the output. */
export { accessName };
