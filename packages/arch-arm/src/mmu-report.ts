/**
 * What a tool shows of an {@link ArmV7Mmu}: the manual's table and privilege
 * names, and each abort in words and fields.
 *
 * @module
 */

import { Access, type MmuFaultReport, type MmuInfo } from '@page-table/core';
import { type ArmV7Fault, FSR_WNR, faultStatusName } from './fault.js';

/** The short-descriptor format's names: second-level (index 0, the 4 KiB-page table) and first-level tables; PL0 / PL1. */
export const ARMV7_SHORT_MMU_INFO: MmuInfo = Object.freeze({
  arch: 'armv7',
  tables: Object.freeze(['second-level', 'first-level']),
  privileges: Object.freeze({ 0: 'PL0', 1: 'PL1' }),
  userPrivilege: 0,
});

/** The long-descriptor format's names: level 3 (index 0), level 2, level 1; PL0 / PL1. */
export const ARMV7_LPAE_MMU_INFO: MmuInfo = Object.freeze({
  arch: 'armv7-lpae',
  tables: Object.freeze(['level 3', 'level 2', 'level 1']),
  privileges: Object.freeze({ 0: 'PL0', 1: 'PL1' }),
  userPrivilege: 0,
});

function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

/** An ARMv7 abort in words and fields: Data or Prefetch Abort, the fault status, the FSR and FAR. */
export function describeArmV7Fault(f: ArmV7Fault): MmuFaultReport {
  const fetch = f.access === Access.Execute;
  const name = f.kind === 'va-range' ? 'VA range' : fetch ? 'Prefetch Abort' : 'Data Abort';
  const status = faultStatusName(f.kind, f.level, f.longDescriptor);
  const far = fetch ? 'IFAR' : 'DFAR';
  const summary =
    f.kind === 'va-range'
      ? `${name}: ${status} (VA ${hex(BigInt(f.va))})`
      : `${name}: ${status}, ${f.register} = ${hex(f.fsr)}, ${far} = ${hex(f.far)}`;
  const detail: [string, string][] = [
    ['status', status],
    ['format', f.longDescriptor ? 'long descriptor (LPAE)' : 'short descriptor'],
  ];
  if (!f.longDescriptor && !fetch && f.kind !== 'va-range') detail.push(['domain', String(f.domain)]);
  if (!fetch) detail.push(['WnR', (f.fsr & FSR_WNR) !== 0 ? '1 (write)' : '0 (read)']);
  return {
    name,
    summary,
    detail,
    fields: {
      name,
      kind: f.kind,
      level: f.level,
      longDescriptor: f.longDescriptor,
      register: f.register,
      fsr: hex(f.fsr),
      far: hex(f.far),
      domain: f.domain,
      wnr: (f.fsr & FSR_WNR) !== 0,
      va: hex(BigInt(f.va)),
    },
  };
}
