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

import {
  A64FaultKind,
  type A64Fault,
  A64Mmu,
  type A64MmuOptions,
  MAIR_VALUE,
  faultKindName,
  ttbrValue,
} from '@page-table/arch-aarch64';
import { type LA64Fault, LA64Mmu, PWCH_3LEVEL, PWCH_4LEVEL, PWCL_3LEVEL, PWCL_4LEVEL } from '@page-table/arch-loongarch64';
import { type RiscvFault, RiscvMmu, SatpMode, causeName, isPageFault as isRiscvPageFault, parseSatp, satp } from '@page-table/arch-riscv';
import { X64Mmu, X64PfError, type X64Fault, formatPfErrorCode, isPageFault } from '@page-table/arch-x86_64';
import { Access, type MappingFlags, type PhysMemory, type TranslateResult } from '@page-table/core';
import { usageError } from './errors.js';
import { type MmuRequest, accessName } from './mmu-options.js';
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
  entryPa: bigint;
  before: bigint;
  after: bigint;
}

/** What the MMU says about one access to one VA. */
export interface AccessOutcome {
  va: bigint;
  /** Every entry the MMU read, root first (none for a VA it refuses before walking). */
  steps: AccessStep[];
  /** The translation, when the access is allowed. */
  ok?: { pa: bigint; size: bigint; flags: MappingFlags };
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

/** x86_64 defaults: CR0 = PE | ET | WP | PG; CR4 = PAE (| LA57); EFER = LME | LMA | NXE; RFLAGS = the reserved bit 1. */
export const X64_DEFAULTS = { cr0: 0x8001_0011n, cr4: 0x20n, la57: 0x1000n, efer: 0xd00n, rflags: 0x2n, pkru: 0n } as const;
/**
 * AArch64 defaults: TCR_EL1 for two 48-bit ranges with the 4 KiB granule
 * (T0SZ = T1SZ = 16, TG1 = 4 KiB, inner-shareable write-back walks, IPS =
 * 48 bits), plus EPD1 (or EPD0 with `--upper`) since the image has one table;
 * SCTLR_EL1 with M, C, I and the RES1 bits; MAIR = the codec's layout.
 * EL2: TCR_EL2 with T0SZ = 16, PS = 48 bits and its RES1 bits; SCTLR_EL2 with M, C, I and RES1.
 */
export const A64_DEFAULTS = {
  tcr: 0x5_b510_3510n,
  epd0: 0x80n,
  epd1: 0x80_0000n,
  sctlr: 0x30d0_1805n,
  mair: BigInt(MAIR_VALUE),
  tcrEl2: 0x8085_3510n,
  sctlrEl2: 0x30c5_1835n,
} as const;
/** LoongArch64 default CRMD: PG = 1, DA = 0 (paged translation), PLV0. */
export const LA64_DEFAULT_CRMD = 0x10n;

const X86_TABLES = ['PT', 'PD', 'PDPT', 'PML4', 'PML5'];
const LA_TABLES = ['PT', 'Dir1', 'Dir2', 'Dir3', 'Dir4'];

/**
 * Builds the arch's MMU over `memory` with the registers of `request`, the
 * others derived from the mode, the root (the table `--root` gives) and
 * `upper` (AArch64: the table is a TTBR1 one). Throws a usage error for
 * registers that contradict the mode or root, or that the MMU refuses.
 */
export function createAccessProbe(mode: Mode, memory: PhysMemory, root: bigint, upper: boolean, request: MmuRequest): AccessProbe {
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

/** The PA, size and flags of a successful result. */
function okOf(r: TranslateResult<unknown>): AccessOutcome['ok'] {
  if (!('paddr' in r)) return undefined;
  return { pa: BigInt(r.paddr), size: BigInt(r.size), flags: r.flags };
}

const bit = (on: boolean) => (on ? 1 : 0);

// ---------------------------------------------------------------- x86_64

function x86Probe(mode: Mode, memory: PhysMemory, root: bigint, request: MmuRequest): AccessProbe {
  const r = request.registers;
  const la57 = mode.levels === 5;
  const regs = {
    cr0: r.cr0 ?? X64_DEFAULTS.cr0,
    cr3: root,
    cr4: r.cr4 ?? (X64_DEFAULTS.cr4 | (la57 ? X64_DEFAULTS.la57 : 0n)),
    efer: r.efer ?? X64_DEFAULTS.efer,
    rflags: r.rflags ?? X64_DEFAULTS.rflags,
    pkru: r.pkru ?? X64_DEFAULTS.pkru,
  };
  const cpl = request.privilege ?? 0;
  const mmu = construct(() => new X64Mmu(memory, { ...regs, cpl }));
  const paging = mmu.pagingMode;
  if (paging === 'legacy') {
    throw usageError(
      `CR0 ${hex(regs.cr0)}, CR4 ${hex(regs.cr4)} and EFER ${hex(regs.efer)} select 32-bit or PAE paging outside IA-32e mode, which the MMU does not model (4-level paging needs CR0.PG, CR4.PAE and EFER.LME)`,
    );
  }
  if ((paging === '5-level') !== la57 && paging !== 'disabled') {
    throw usageError(
      `--cr4 ${hex(regs.cr4)} ${la57 ? 'clears' : 'sets'} LA57 (bit 12) but the tables are ${mode.meta.name}${la57 ? '' : ' (add --levels 5 for 5-level tables)'}`,
    );
  }
  return {
    access: request.access,
    privilege: `CPL ${cpl}`,
    user: cpl === 3,
    registers: [
      ['CR0', regs.cr0],
      ['CR3', regs.cr3],
      ['CR4', regs.cr4],
      ['EFER', regs.efer],
      ['RFLAGS', regs.rflags],
      ['PKRU', regs.pkru],
    ],
    run(va) {
      const d = mmu.debugTranslate(va, request.access);
      const reachedLeaf = d.result.fault === undefined || d.leafSize !== undefined;
      // The leaf's A/D write (A on the tables above is not shown): the last update, when it is the last entry read.
      const last = d.steps.at(-1);
      const leafUpdate = d.adUpdates?.at(-1);
      const update =
        leafUpdate !== undefined && last !== undefined && leafUpdate.entryPaddr === last.entryPaddr
          ? { entryPa: BigInt(leafUpdate.entryPaddr), before: leafUpdate.before, after: leafUpdate.after }
          : undefined;
      return {
        va,
        steps: d.steps.map((s) => ({ level: s.level, table: X86_TABLES[s.level], index: s.index, entryPa: BigInt(s.entryPaddr), entry: s.entry })),
        ok: okOf(d.result),
        fault: d.result.fault === undefined ? undefined : x86Fault(d.result.fault),
        permissions: reachedLeaf ? d.permissions : undefined,
        stop: d.stop,
        update,
        details: { pagingMode: paging },
      };
    },
  };
}

function x86Fault(f: X64Fault): AccessFault {
  if (!isPageFault(f)) {
    return {
      name: '#GP',
      summary: '#GP(0) (general protection, vector 13, error code 0): the address is not canonical; CR2 is not written',
      detail: [],
      json: { name: '#GP', vector: 13, errorCode: 0 },
    };
  }
  const ec = f.errorCode;
  const has = (b: number) => (ec & b) !== 0;
  const bits = {
    P: has(X64PfError.P),
    W: has(X64PfError.W),
    U: has(X64PfError.U),
    RSVD: has(X64PfError.RSVD),
    ID: has(X64PfError.ID),
    PK: has(X64PfError.PK),
  };
  const cr2 = BigInt(f.cr2);
  return {
    name: '#PF',
    summary: `#PF (page fault, vector 14), error code ${hex(ec)} (${formatPfErrorCode(ec)}), CR2 = ${hex(cr2)}`,
    detail: [
      [
        'error code',
        [
          `P=${bit(bits.P)} (${bits.P ? 'protection' : 'not present'})`,
          `W=${bit(bits.W)} (${bits.W ? 'write' : 'read'})`,
          `U=${bit(bits.U)} (${bits.U ? 'user' : 'supervisor'})`,
          `RSVD=${bit(bits.RSVD)}`,
          `I/D=${bit(bits.ID)}`,
          `PK=${bit(bits.PK)}`,
        ].join(' '),
      ],
    ],
    json: { name: '#PF', vector: 14, errorCode: ec, errorBits: bits, cr2: hex(cr2) },
  };
}

// ------------------------------------------------------------------ RISC-V

const SATP_MODES: Readonly<Record<number, SatpMode>> = { 3: SatpMode.Sv39, 4: SatpMode.Sv48, 5: SatpMode.Sv57 };
const SATP_NAMES: Readonly<Record<number, string>> = { 0: 'Bare', 8: 'Sv39', 9: 'Sv48', 10: 'Sv57' };
const RISCV_PRIV: Readonly<Record<number, string>> = { 0: 'U-mode', 1: 'S-mode', 3: 'M-mode' };

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
      throw usageError(`--satp ${hex(satpValue)} has its root table at ${hex(BigInt(fields.root))} (PPN << 12), not at --root ${hex(root)}`);
    }
  }
  return {
    access: request.access,
    privilege: RISCV_PRIV[priv],
    user: priv === 0,
    registers: [
      ['satp', mmu.satp],
      ['mstatus', mmu.mstatus],
      ['Svadu', request.svadu],
    ],
    run(va) {
      const d = mmu.debugTranslate(va, request.access);
      // The leaf's permissions (also on a fault); an untranslated access (Bare, M-mode) reaches no leaf.
      const permissions = d.permissions ?? (d.result.fault === undefined ? d.result.flags : undefined);
      return {
        va,
        steps: d.steps.map((s) => ({ level: s.level, table: `L${s.level}`, index: s.index, entryPa: BigInt(s.entryPaddr), entry: s.entry })),
        ok: okOf(d.result),
        fault: d.result.fault === undefined ? undefined : riscvFault(d.result.fault),
        permissions,
        stop: d.stop,
        update:
          d.adUpdate === undefined
            ? undefined
            : { entryPa: BigInt(d.adUpdate.entryPaddr), before: d.adUpdate.before, after: d.adUpdate.after },
        details: { scheme: d.mode, priv: ['U', 'S', '', 'M'][d.priv] },
      };
    },
  };
}

function riscvFault(f: RiscvFault): AccessFault {
  const tval = BigInt(f.tval);
  const type = isRiscvPageFault(f.cause) ? 'page-fault' : 'access-fault';
  return {
    name: causeName(f.cause),
    summary: `${causeName(f.cause)} (exception code ${f.cause}), tval = ${hex(tval)}`,
    detail: [],
    json: { name: causeName(f.cause), cause: f.cause, type, tval: hex(tval) },
  };
}

// ----------------------------------------------------------------- AArch64

const A64_KINDS: Readonly<Record<number, string>> = {
  [A64FaultKind.AddressSize]: 'address-size',
  [A64FaultKind.Translation]: 'translation',
  [A64FaultKind.AccessFlag]: 'access-flag',
  [A64FaultKind.Permission]: 'permission',
  [A64FaultKind.ExternalAbortOnWalk]: 'external-abort-on-walk',
};

function a64Probe(memory: PhysMemory, root: bigint, upper: boolean, request: MmuRequest): AccessProbe {
  const r = request.registers;
  const el = (request.privilege ?? 1) as 0 | 1 | 2;
  const ttbr = construct(() => BigInt(ttbrValue(root)));
  let options: A64MmuOptions;
  let registers: Array<[string, bigint | boolean]>;
  if (el === 2) {
    if (upper) throw usageError('--upper: the EL2 regime (E2H = 0) has one range, from TTBR0_EL2; a TTBR1 table is for EL0 and EL1');
    if (request.pan) throw usageError('--pan: PSTATE.PAN has no effect at EL2 (E2H = 0); it is for EL1 accesses');
    const regs = { ttbr0El2: ttbr, tcrEl2: r.tcr ?? A64_DEFAULTS.tcrEl2, sctlrEl2: r.sctlr ?? A64_DEFAULTS.sctlrEl2, mairEl2: r.mair ?? A64_DEFAULTS.mair };
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
      tcr: r.tcr ?? A64_DEFAULTS.tcr | (upper ? A64_DEFAULTS.epd0 : A64_DEFAULTS.epd1),
      sctlr: r.sctlr ?? A64_DEFAULTS.sctlr,
      mair: r.mair ?? A64_DEFAULTS.mair,
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
  return {
    access: request.access,
    privilege: `EL${el}`,
    user: el === 0,
    registers,
    run(va) {
      const d = mmu.debugTranslate(va, request.access);
      const leaf = d.leaf;
      let permissions: MappingFlags | undefined;
      if (d.result.fault === undefined) permissions = d.result.flags;
      else if (leaf !== undefined) permissions = el === 0 ? leaf.el0 : el === 1 ? leaf.el1 : leaf.el2;
      const last = d.steps.at(-1);
      return {
        va,
        steps: d.steps.map((s) => ({
          level: s.level,
          table: `L${s.lookupLevel}`,
          index: s.index,
          entryPa: BigInt(s.entryPaddr),
          entry: s.entry,
          kind: s.kind,
        })),
        ok: okOf(d.result),
        fault: d.result.fault === undefined ? undefined : a64Fault(d.result.fault),
        permissions,
        stop: d.stop,
        update:
          leaf?.update === undefined || last === undefined
            ? undefined
            : { entryPa: BigInt(last.entryPaddr), before: leaf.descriptor, after: leaf.update },
        details: { regime: d.regime, ttbr: d.ttbr ?? null, startLevel: d.startLevel ?? null },
      };
    },
  };
}

function a64Fault(f: A64Fault): AccessFault {
  const fetch = f.ec === 0x20 || f.ec === 0x21;
  const name = fetch ? 'Instruction Abort' : 'Data Abort';
  const from = f.el === 0 ? 'from EL0, taken to EL1' : f.el === 1 ? 'from EL1, taken to EL1' : 'from EL2, taken to EL2';
  const target = f.el === 2 ? 'EL2' : 'EL1';
  const far = BigInt(f.far);
  const fsc = `${faultKindName(f.kind)}, level ${f.level}`;
  const pad2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
  return {
    name,
    summary: `${name} ${from} (EC ${pad2(f.ec)}): ${fsc}; ESR_${target} = ${hex(f.esr)}, FAR_${target} = ${hex(far)}`,
    detail: [['ESR', `EC ${pad2(f.ec)} · IL 1 · WnR ${bit(f.wnr)} · FSC ${pad2(f.fsc)} (${fsc})`]],
    json: {
      name,
      esr: hex(f.esr),
      ec: f.ec,
      fsc: f.fsc,
      faultKind: A64_KINDS[f.kind] ?? 'unknown',
      level: f.level,
      wnr: f.wnr,
      far: hex(far),
      el: f.el,
    },
  };
}

// ------------------------------------------------------------- LoongArch64

const LA_FAULT_NAMES: Readonly<Record<string, string>> = {
  TLBR: 'TLB refill',
  PIL: 'page invalid for load',
  PIS: 'page invalid for store',
  PIF: 'page invalid for fetch',
  PME: 'page modification exception',
  PNR: 'page not readable',
  PNX: 'page not executable',
  PPI: 'page privilege illegal',
  ADEF: 'address error for an instruction fetch',
  ADEM: 'address error for a memory access',
};

function la64Probe(mode: Mode, memory: PhysMemory, root: bigint, request: MmuRequest): AccessProbe {
  const r = request.registers;
  let crmd = r.crmd ?? LA64_DEFAULT_CRMD;
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
  const plv = Number(crmd & 3n);
  return {
    access: request.access,
    privilege: `PLV${plv}`,
    user: plv === 3,
    registers: [
      ['CRMD', regs.crmd],
      ['PGDL', regs.pgdl],
      ['PGDH', regs.pgdh],
      ['PWCL', regs.pwcl],
      ['PWCH', regs.pwch],
      ['PTW', request.ptw],
    ],
    run(va) {
      const d = mmu.debugTranslate(va, request.access);
      const fault = d.result.fault;
      // A V = 0 half, an address error or a refill reaches no page: no permissions to show.
      const noPage = fault !== undefined && (fault.refill === true || ['PIL', 'PIS', 'PIF', 'ADEF', 'ADEM'].includes(fault.name));
      return {
        va,
        steps: d.steps.map((s) => ({ level: s.level, table: LA_TABLES[s.level], index: s.index, entryPa: BigInt(s.entryPaddr), entry: s.entry })),
        ok: okOf(d.result),
        fault: fault === undefined ? undefined : la64Fault(fault),
        permissions: noPage ? undefined : d.perms,
        stop: d.stop,
        details: { path: d.path, dmw: d.dmw ?? null },
        via: d.path === 'direct' ? 'direct address translation (CRMD.DA = 1)' : d.path === 'dmw' ? `direct-mapped window DMW${d.dmw}` : undefined,
      };
    },
  };
}

function la64Fault(f: LA64Fault): AccessFault {
  const badv = BigInt(f.badv);
  const refill = f.refill === true;
  const summary = refill
    ? `TLBR (TLB refill exception): TLBRBADV = ${hex(badv)}; no TLB entry matches and the guest's refill handler runs (ESTAT unchanged)`
    : `${f.name} (${LA_FAULT_NAMES[f.name]}, Ecode ${hex(f.ecode)}, EsubCode ${f.esubcode}), BADV = ${hex(badv)}`;
  return {
    name: f.name,
    summary,
    detail: refill ? [['access code', `${['PIL', 'PIS', 'PIF'][f.ecode - 1]} (Ecode ${hex(f.ecode)}), for information`]] : [],
    json: { name: f.name, ecode: f.ecode, esubcode: f.esubcode, refill, badv: hex(badv) },
  };
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
