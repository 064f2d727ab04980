/**
 * What a tool shows of an {@link LA64Mmu}: the manual's table and privilege
 * names, the CRMD a debugger starts from, and each fault in words and fields.
 *
 * @module
 */

import type { MmuFaultReport, MmuInfo } from '@page-table/core';
import type { LA64Fault } from './fault.js';

/** The LoongArch64 MMU's names: tables PT, Dir1 … Dir4 by level (PWCL/PWCH), privileges PLV0..3. */
export const LA64_MMU_INFO: MmuInfo = {
  arch: 'loongarch64',
  tables: ['PT', 'Dir1', 'Dir2', 'Dir3', 'Dir4'],
  privileges: { 0: 'PLV0', 1: 'PLV1', 2: 'PLV2', 3: 'PLV3' },
  userPrivilege: 3,
};

/** CRMD for inspecting a guest's tables: PG = 1, DA = 0 (paged translation), PLV0. */
export const LA64_MMU_DEFAULT_CRMD = 0x10n;

const LONG_NAMES: Readonly<Record<string, string>> = {
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

/** A LoongArch64 fault in words and fields: the mnemonic, Ecode / EsubCode and BADV, or the TLB refill. */
export function describeLA64Fault(f: LA64Fault): MmuFaultReport {
  const badv = `0x${BigInt(f.badv).toString(16)}`;
  const refill = f.refill === true;
  const summary = refill
    ? `TLBR (TLB refill exception): TLBRBADV = ${badv}; no TLB entry matches and the guest's refill handler runs (ESTAT unchanged)`
    : `${f.name} (${LONG_NAMES[f.name]}, Ecode 0x${f.ecode.toString(16)}, EsubCode ${f.esubcode}), BADV = ${badv}`;
  return {
    name: f.name,
    summary,
    detail: refill
      ? [['access code', `${['PIL', 'PIS', 'PIF'][f.ecode - 1]} (Ecode 0x${f.ecode.toString(16)}), for information`]]
      : [],
    fields: { name: f.name, ecode: f.ecode, esubcode: f.esubcode, refill, badv },
  };
}
