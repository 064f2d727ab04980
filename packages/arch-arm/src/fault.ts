/**
 * The aborts a VMSAv7 translation raises and the fault status values the
 * CPU writes for them (Arm ARM B3.13, "Exception reporting in a VMSA
 * implementation"; B4.1 DFSR, IFSR, DFAR and IFAR):
 *
 * - short-descriptor format: FS[4:0] in bits 10 and 3..0 (the short-descriptor FSR encodings
 *   "Short-descriptor format FSR encodings"), Domain in bits [7:4] (DFSR
 *   only), WnR bit 11 (DFSR only), LPAE bit 9 = 0;
 * - long-descriptor format: STATUS[5:0] in bits 5..0 with the lookup level in
 *   its low two bits (table "Long-descriptor format FSR encodings"),
 *   LPAE bit 9 = 1, WnR bit 11 (DFSR only).
 *
 * A data access faults into DFSR/DFAR (a Data Abort), an instruction fetch
 * into IFSR/IFAR (a Prefetch Abort).
 *
 * @module
 */

import { Access } from '@page-table/core';
import { fromHalves, type VirtAddr } from '@page-table/memory-addr';

/** What went wrong, named as the manual's fault kinds (plus `va-range`, which is not an Arm fault, see below). */
export type ArmFaultKind =
  | 'translation'
  | 'access-flag'
  | 'domain'
  | 'permission'
  | 'address-size'
  | 'external-abort'
  | 'va-range';

/** Fault kinds as small numbers, for the MMU's allocation-free path. */
export const ArmFaultCode = {
  /** Translation fault: an invalid (or reserved) descriptor, a disabled walk, a VA outside both TTBR ranges. */
  Translation: 1,
  /** Access flag fault: AF (or AP[0] with SCTLR.AFE = 1) is 0. */
  AccessFlag: 2,
  /** Domain fault: the domain's DACR field is No access (00) or reserved (10); short descriptors only. */
  Domain: 3,
  /** Permission fault: AP, XN or PXN forbid the access. */
  Permission: 4,
  /** Address size fault: output address bits [47:40] of a long descriptor are not 0. */
  AddressSize: 5,
  /** Synchronous external abort on a translation table walk: the entry's PA is outside physical memory. */
  ExternalAbort: 6,
  /**
   * Not an Arm fault: the 64-bit VA given to the MMU is neither a 32-bit VA
   * nor the sign extension of one, so no 32-bit CPU could issue it. No
   * DFSR/IFSR/DFAR/IFAR is written.
   */
  VaRange: 7,
} as const;

/** One of the {@link ArmFaultCode} values. */
export type ArmFaultCode = (typeof ArmFaultCode)[keyof typeof ArmFaultCode];

const KINDS: readonly ArmFaultKind[] = [
  'translation',
  'translation',
  'access-flag',
  'domain',
  'permission',
  'address-size',
  'external-abort',
  'va-range',
];

/** The kind of a fault code. */
export function faultKindOf(code: number): ArmFaultKind {
  return KINDS[code] ?? 'translation';
}

/**
 * A translation abort as the CPU takes it: the FSR and FAR values of the
 * abort's register pair and the fields they encode.
 */
export interface ArmV7Fault {
  /** What went wrong. */
  readonly kind: ArmFaultKind;
  /** Lookup level: 1 or 2 (short descriptors), 1..3 (long); 0 for `va-range`. */
  readonly level: number;
  /** Whether the long-descriptor FSR format was used (TTBCR.EAE = 1). */
  readonly longDescriptor: boolean;
  /** The access that faulted. */
  readonly access: Access;
  /** The register the status went to: `DFSR` (loads, stores) or `IFSR` (instruction fetches). */
  readonly register: 'DFSR' | 'IFSR';
  /** The value written to DFSR or IFSR (0 for `va-range`). */
  readonly fsr: number;
  /** The value written to DFAR or IFAR: the faulting 32-bit VA. */
  readonly far: number;
  /** Short descriptors: the domain of the access (0 when no domain was read yet); long descriptors: 0. */
  readonly domain: number;
  /** The VA as given to the MMU (the 64-bit value; equal to {@link far} except for `va-range`). */
  readonly va: VirtAddr;
}

/** FS[4:0] (short format) of each fault code at level 1 and level 2 (Arm ARM B3.13, table "Short-descriptor format FSR encodings"). */
const SHORT_FS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0b00101, 0b00111], // translation fault, section / page
  [0b00011, 0b00110], // access flag fault, section / page
  [0b01001, 0b01011], // domain fault, section / page
  [0b01101, 0b01111], // permission fault, section / page
  [0, 0], // no address size fault in the short format
  [0b01100, 0b01110], // synchronous external abort on translation table walk, level 1 / 2
  [0, 0],
];

/** STATUS[5:2] (long format) of each fault code; the level fills bits [1:0] (Arm ARM B3.13, table "Long-descriptor format FSR encodings"). */
const LONG_STATUS: readonly number[] = [0, 0b0001_00, 0b0010_00, 0, 0b0011_00, 0b0000_00, 0b0101_00, 0];

/** DFSR/IFSR bit 9: the long-descriptor format is in use. */
export const FSR_LPAE = 1 << 9;
/** DFSR bit 11: WnR, a write access faulted. */
export const FSR_WNR = 1 << 11;
/** Short format: FS[4] sits in bit 10. */
export const FSR_FS4 = 1 << 10;

/**
 * The DFSR (data access) or IFSR (instruction fetch) value of a fault:
 * `code` an {@link ArmFaultCode}, `level` the lookup level, `domain` the
 * short format's domain (written to DFSR only).
 */
export function encodeFsr(code: number, level: number, long: boolean, access: Access, domain: number): number {
  if (code === ArmFaultCode.VaRange) return 0;
  const wnr = access === Access.Write ? FSR_WNR : 0;
  const data = access !== Access.Execute;
  if (long) return (LONG_STATUS[code] | (level & 3) | FSR_LPAE | wnr) >>> 0;
  const fs = SHORT_FS[code][level === 2 ? 1 : 0];
  return ((fs & 15) | (fs & 16 ? FSR_FS4 : 0) | (data ? (domain << 4) | wnr : 0)) >>> 0;
}

/** The manual's name of a fault status, e.g. `Translation fault, level 2` or `Permission fault, section`. */
export function faultStatusName(kind: ArmFaultKind, level: number, long: boolean): string {
  if (kind === 'va-range') return 'VA outside the 32-bit address space';
  const name = {
    translation: 'Translation fault',
    'access-flag': 'Access flag fault',
    domain: 'Domain fault',
    permission: 'Permission fault',
    'address-size': 'Address size fault',
    'external-abort': 'Synchronous external abort on translation table walk',
  }[kind];
  if (long || kind === 'external-abort') return `${name}, level ${level}`;
  return `${name}, ${level === 2 ? 'page' : 'section'}`;
}

/** Formats a fault for logs, e.g. `Data Abort: Permission fault, page (DFSR 0x80f), DFAR 0x8000`. */
export function formatFault(f: ArmV7Fault): string {
  const abort = f.access === Access.Execute ? 'Prefetch Abort' : 'Data Abort';
  const far = f.access === Access.Execute ? 'IFAR' : 'DFAR';
  if (f.kind === 'va-range') return `${faultStatusName(f.kind, 0, false)}: 0x${f.va.toString(16)}`;
  return `${abort}: ${faultStatusName(f.kind, f.level, f.longDescriptor)} (${f.register} 0x${f.fsr.toString(16)}), ${far} 0x${f.far.toString(16)}`;
}

/**
 * The fault record of a fault code at `level` for `access` at VA (hi, lo),
 * in the short or long FSR format, with the short format's `domain`.
 */
export function armV7Fault(
  code: number,
  level: number,
  long: boolean,
  access: Access,
  domain: number,
  hi: number,
  lo: number,
): ArmV7Fault {
  const range = code === ArmFaultCode.VaRange;
  return {
    kind: faultKindOf(code),
    level: range ? 0 : level,
    longDescriptor: long,
    access,
    register: access === Access.Execute ? 'IFSR' : 'DFSR',
    fsr: encodeFsr(code, level, long, access, domain),
    far: lo >>> 0,
    domain: long || range ? 0 : domain,
    va: fromHalves(hi >>> 0, lo >>> 0) as VirtAddr,
  };
}
