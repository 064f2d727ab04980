/**
 * What a tool shows of an {@link A64Mmu}: the Arm ARM's table and privilege
 * names, the register values a debugger starts from, and each fault in
 * words and fields.
 *
 * @module
 */

import type { MmuFaultReport, MmuInfo } from '@page-table/core';
import { type A64Fault, A64FaultKind, faultKindName } from './fault.js';
import { MAIR_VALUE } from './registers.js';

/**
 * The AArch64 MMU's names: tables by lookup level, L3 (the page table,
 * level 0 from the leaves) … L0; privileges EL0..EL2.
 */
export const A64_MMU_INFO: MmuInfo = {
  arch: 'aarch64',
  tables: ['L3', 'L2', 'L1', 'L0'],
  privileges: { 0: 'EL0', 1: 'EL1', 2: 'EL2' },
  userPrivilege: 0,
};

/**
 * Registers for inspecting a guest's tables: TCR_EL1 for two 48-bit ranges
 * with the 4 KiB granule (T0SZ = T1SZ = 16, TG1 = 4 KiB, inner-shareable
 * write-back walks, IPS = 48 bits), to which `epd1` (or `epd0` for a TTBR1
 * table) is added when there is one table; SCTLR_EL1 with M, C, I and the
 * RES1 bits; MAIR = the codec's layout. EL2: TCR_EL2 with T0SZ = 16, PS =
 * 48 bits and its RES1 bits; SCTLR_EL2 with M, C, I and RES1.
 */
export const A64_MMU_DEFAULTS = {
  /** TCR_EL1: T0SZ = T1SZ = 16, TG1 = 4 KiB, inner-shareable write-back walks, IPS = 48 bits. */
  tcr: 0x5_b510_3510n,
  /** TCR_EL1.EPD0: no walks from TTBR0 (for a TTBR1 table alone). */
  epd0: 0x80n,
  /** TCR_EL1.EPD1: no walks from TTBR1 (for a TTBR0 table alone). */
  epd1: 0x80_0000n,
  /** SCTLR_EL1: M, C, I and the RES1 bits. */
  sctlr: 0x30d0_1805n,
  /** MAIR_EL1 = the codec's layout (`MAIR_VALUE`). */
  mair: BigInt(MAIR_VALUE),
  /** TCR_EL2: T0SZ = 16, PS = 48 bits and the RES1 bits. */
  tcrEl2: 0x8085_3510n,
  /** SCTLR_EL2: M, C, I and the RES1 bits. */
  sctlrEl2: 0x30c5_1835n,
} as const;

const KINDS: Readonly<Record<number, string>> = {
  [A64FaultKind.AddressSize]: 'address-size',
  [A64FaultKind.Translation]: 'translation',
  [A64FaultKind.AccessFlag]: 'access-flag',
  [A64FaultKind.Permission]: 'permission',
  [A64FaultKind.ExternalAbortOnWalk]: 'external-abort-on-walk',
};

/** The machine-readable name of a fault kind (`translation`, `access-flag`, …), as debug reports give `stopReason`. */
export function a64FaultKindId(kind: A64FaultKind): string {
  return KINDS[kind] ?? 'unknown';
}

const hex = (x: number | bigint) => `0x${x.toString(16)}`;
const pad2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** An AArch64 fault in words and fields: Instruction or Data Abort, ESR decoded, FAR. */
export function describeA64Fault(f: A64Fault): MmuFaultReport {
  const fetch = f.ec === 0x20 || f.ec === 0x21;
  const name = fetch ? 'Instruction Abort' : 'Data Abort';
  const from = f.el === 0 ? 'from EL0, taken to EL1' : f.el === 1 ? 'from EL1, taken to EL1' : 'from EL2, taken to EL2';
  const target = f.el === 2 ? 'EL2' : 'EL1';
  const far = BigInt(f.far);
  const fsc = `${faultKindName(f.kind)}, level ${f.level}`;
  return {
    name,
    summary: `${name} ${from} (EC ${pad2(f.ec)}): ${fsc}; ESR_${target} = ${hex(f.esr)}, FAR_${target} = ${hex(far)}`,
    detail: [['ESR', `EC ${pad2(f.ec)} · IL 1 · WnR ${f.wnr ? 1 : 0} · FSC ${pad2(f.fsc)} (${fsc})`]],
    fields: {
      name,
      esr: hex(f.esr),
      ec: f.ec,
      fsc: f.fsc,
      faultKind: a64FaultKindId(f.kind),
      level: f.level,
      wnr: f.wnr,
      far: hex(far),
      el: f.el,
    },
  };
}
