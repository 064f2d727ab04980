/**
 * The options of `ptm translate` that put an emulator MMU in front of the
 * walk: the kind of access, the privilege it is made at and the control
 * registers, each arch with its own names. Parsed here into an
 * {@link MmuRequest}; every mistake is a one-line usage error.
 *
 * @module
 */

import type { ParseArgsConfig } from 'node:util';
import { Access } from '@page-table/core';
import { usageError } from './errors.js';
import type { ArchName } from './modes.js';
import { parseU64 } from './numbers.js';
import { flag, type Parsed, str } from './options.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The MMU options of `ptm translate`, on top of the image options. */
export const MMU_OPTIONS = {
  access: { type: 'string' },
  user: { type: 'boolean' },
  // x86_64
  cpl: { type: 'string' },
  cr0: { type: 'string' },
  cr4: { type: 'string' },
  efer: { type: 'string' },
  rflags: { type: 'string' },
  pkru: { type: 'string' },
  // RISC-V
  priv: { type: 'string' },
  satp: { type: 'string' },
  mstatus: { type: 'string' },
  svadu: { type: 'boolean' },
  // AArch64
  el: { type: 'string' },
  tcr: { type: 'string' },
  sctlr: { type: 'string' },
  mair: { type: 'string' },
  pan: { type: 'boolean' },
  // LoongArch64
  plv: { type: 'string' },
  crmd: { type: 'string' },
  pwcl: { type: 'string' },
  pwch: { type: 'string' },
  ptw: { type: 'string' },
} as const satisfies Options;

/** An MMU option's name (without `--`). */
export type MmuOptionName = keyof typeof MMU_OPTIONS;

/** What each arch accepts beyond `--access` and `--user`: its privilege option first, then its registers and switches. */
export const ARCH_MMU_OPTIONS: Readonly<Record<ArchName, readonly MmuOptionName[]>> = {
  x86_64: ['cpl', 'cr0', 'cr4', 'efer', 'rflags', 'pkru'],
  riscv: ['priv', 'satp', 'mstatus', 'svadu'],
  aarch64: ['el', 'tcr', 'sctlr', 'mair', 'pan'],
  loongarch64: ['plv', 'crmd', 'pwcl', 'pwch', 'ptw'],
};

/** The register options that take a number, by arch. */
const REGISTER_OPTIONS: ReadonlySet<MmuOptionName> = new Set([
  'cr0',
  'cr4',
  'efer',
  'rflags',
  'pkru',
  'satp',
  'mstatus',
  'tcr',
  'sctlr',
  'mair',
  'crmd',
  'pwcl',
  'pwch',
]);

/** The privilege option of each arch and the values it takes. */
const PRIVILEGE: Readonly<
  Record<ArchName, { readonly option: MmuOptionName; readonly user: number; readonly max: number }>
> = {
  x86_64: { option: 'cpl', user: 3, max: 3 },
  riscv: { option: 'priv', user: 0, max: 3 },
  aarch64: { option: 'el', user: 0, max: 2 },
  loongarch64: { option: 'plv', user: 3, max: 3 },
};

/** The register values given on the command line, by option name. */
export type RegisterValues = Partial<
  Record<
    | 'cr0'
    | 'cr4'
    | 'efer'
    | 'rflags'
    | 'pkru'
    | 'satp'
    | 'mstatus'
    | 'tcr'
    | 'sctlr'
    | 'mair'
    | 'crmd'
    | 'pwcl'
    | 'pwch',
    bigint
  >
>;

/** What the MMU options ask for: the access, its privilege, the registers given and the switches. */
export interface MmuRequest {
  /** The access to check. */
  readonly access: Access;
  /**
   * The arch's privilege number (x86 CPL, RISC-V 0 U / 1 S / 3 M, AArch64
   * EL, LoongArch PLV), or undefined for the default: the kernel's (CPL 0,
   * S-mode, EL1, PLV0), or what `--crmd` says on LoongArch.
   */
  readonly privilege: number | undefined;
  /** Registers given; the others take the defaults of the mode and root. */
  readonly registers: RegisterValues;
  /** RISC-V `--svadu`: hardware A/D updating. */
  readonly svadu: boolean;
  /** AArch64 `--pan`: PSTATE.PAN = 1. */
  readonly pan: boolean;
  /** LoongArch64 `--ptw`: the MMU refills the TLB itself (default), or leaves it to the guest. */
  readonly ptw: boolean;
}

const ACCESSES: Readonly<Record<string, Access>> = { r: Access.Read, w: Access.Write, x: Access.Execute };

/** The name of an access kind, as JSON and the output write it. */
export function accessName(access: Access): 'read' | 'write' | 'execute' {
  return access === Access.Read ? 'read' : access === Access.Write ? 'write' : 'execute';
}

/**
 * The MMU request of a `ptm translate` command line, or undefined when it has
 * none of the MMU options (the plain table walk). Throws a usage error for an
 * unknown access letter, a privilege out of range, two privilege options, or
 * an option of another arch.
 */
export function mmuRequest(p: Parsed, arch: ArchName): MmuRequest | undefined {
  const given = (Object.keys(MMU_OPTIONS) as MmuOptionName[]).filter((name) => p.values[name] !== undefined);
  if (given.length === 0) return undefined;
  const mine = ARCH_MMU_OPTIONS[arch];
  for (const name of given) {
    if (name === 'access' || name === 'user' || mine.includes(name)) continue;
    const owner = (Object.keys(ARCH_MMU_OPTIONS) as ArchName[]).find((a) => ARCH_MMU_OPTIONS[a].includes(name));
    throw usageError(
      `--${name} is for ${owner}; ${arch} takes ${mine.map((o) => `--${o}`).join(', ')} and --user (see ptm translate --help)`,
    );
  }

  const accessText = str(p, 'access');
  let access: Access = Access.Read;
  if (accessText !== undefined) {
    const a = Object.hasOwn(ACCESSES, accessText) ? ACCESSES[accessText] : undefined;
    if (a === undefined) throw usageError(`--access: '${accessText}' is not r (read), w (write) or x (execute)`);
    access = a;
  }

  const priv = PRIVILEGE[arch];
  const privText = str(p, priv.option);
  let privilege: number | undefined;
  if (privText !== undefined) {
    if (flag(p, 'user')) throw usageError(`--user and --${priv.option} both give the privilege; use one of them`);
    privilege = arch === 'riscv' ? riscvPriv(privText) : smallInt(privText, `--${priv.option}`, priv.max);
  } else if (flag(p, 'user')) {
    privilege = priv.user;
  }

  const registers: Record<string, bigint> = {};
  for (const name of given) if (REGISTER_OPTIONS.has(name)) registers[name] = parseU64(str(p, name) ?? '', `--${name}`);

  const ptwText = str(p, 'ptw');
  if (ptwText !== undefined && ptwText !== 'on' && ptwText !== 'off')
    throw usageError(`--ptw: '${ptwText}' is not on or off`);

  return { access, privilege, registers, svadu: flag(p, 'svadu'), pan: flag(p, 'pan'), ptw: ptwText !== 'off' };
}

function smallInt(text: string, what: string, max: number): number {
  if (!/^[0-9]$/.test(text) || Number(text) > max)
    throw usageError(`${what}: '${text}' is not a privilege level from 0 to ${max}`);
  return Number(text);
}

function riscvPriv(text: string): number {
  switch (text.toLowerCase()) {
    case 'u':
      return 0;
    case 's':
      return 1;
    case 'm':
      return 3;
    default:
      throw usageError(`--priv: '${text}' is not u (user), s (supervisor) or m (machine)`);
  }
}
