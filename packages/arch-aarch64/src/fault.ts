/**
 * The AArch64 stage-1 MMU fault as the CPU reports it: an Instruction or
 * Data Abort with its exception syndrome (ESR_ELx) and fault address
 * (FAR_ELx), and encoders and decoders of that syndrome (Arm ARM D17.2.37
 * "ESR_EL1", ISS encodings for Instruction and Data Aborts).
 *
 * @module
 */

import { fromHalves, type VirtAddr } from '@page-table/memory-addr';

/**
 * Exception classes (ESR_ELx.EC, bits [31:26]) of the aborts a stage-1
 * translation raises. "Lower EL" is an access made at EL0 and taken to EL1;
 * "same EL" an access made at EL1 and taken to EL1.
 */
export const A64Ec = {
  /** 0x20: Instruction Abort from a lower Exception level (an EL0 fetch). */
  InstructionAbortLowerEl: 0x20,
  /** 0x21: Instruction Abort taken without a change in Exception level (an EL1 fetch). */
  InstructionAbortSameEl: 0x21,
  /** 0x24: Data Abort from a lower Exception level (an EL0 load or store). */
  DataAbortLowerEl: 0x24,
  /** 0x25: Data Abort taken without a change in Exception level (an EL1 load or store). */
  DataAbortSameEl: 0x25,
} as const;

/** One of the {@link A64Ec} values. */
export type A64Ec = (typeof A64Ec)[keyof typeof A64Ec];

/**
 * The kinds of stage-1 fault, each the upper bits of a fault status code
 * (Arm ARM "ISS encoding for an exception from a Data Abort", DFSC): the code
 * is `kind | level`.
 */
export const A64FaultKind = {
  /** 0b0000LL: Address size fault (a TTBR, table or output address beyond the PA size). */
  AddressSize: 0x00,
  /** 0b0001LL: Translation fault (invalid or reserved descriptor, VA outside both ranges, walks disabled). */
  Translation: 0x04,
  /** 0b0010LL: Access flag fault (AF clear and TCR_ELx.HA clear). */
  AccessFlag: 0x08,
  /** 0b0011LL: Permission fault. */
  Permission: 0x0c,
  /** 0b0101LL: Synchronous External abort on a translation table walk (a table outside backed memory). */
  ExternalAbortOnWalk: 0x14,
} as const;

/** One of the {@link A64FaultKind} values. */
export type A64FaultKind = (typeof A64FaultKind)[keyof typeof A64FaultKind];

/**
 * A stage-1 MMU fault: what the CPU writes to ESR_EL1 and FAR_EL1 before it
 * takes the abort to EL1 (Arm ARM D8 "VMSAv8-64 translation faults"). The
 * other fields are the syndrome's parts, decoded for convenience.
 */
export interface A64Fault {
  /**
   * ESR_EL1: EC [31:26], IL [25] = 1, ISS with the fault status code [5:0]
   * and, for a store, WnR [6]. ISV, S1PTW, CM, EA, FnV are 0 and ISS2
   * (bits [55:32]) is empty, so the value always fits a number.
   */
  readonly esr: number;
  /** FAR_EL1: the faulting VA exactly as accessed (a top byte ignored by TBI is kept). */
  readonly far: VirtAddr;
  /** The exception class ({@link A64Ec}): Instruction or Data Abort, from EL0 (lower EL) or EL1 (same EL). */
  readonly ec: A64Ec;
  /** The fault status code (IFSC/DFSC, ESR bits [5:0]): `kind | level`. */
  readonly fsc: number;
  /** The fault kind ({@link A64FaultKind}), the FSC without its level. */
  readonly kind: A64FaultKind;
  /** The lookup level the fault is reported at, in Arm numbering (0 = the level-0 table, 3 = the page table). */
  readonly level: number;
  /** Whether the access was a write (ESR.ISS.WnR; always false for an Instruction Abort). */
  readonly wnr: boolean;
  /**
   * The Exception level the access was made at: 0 or 1 (the abort is taken
   * to EL1: ESR_EL1, FAR_EL1), or 2 (taken to EL2: ESR_EL2, FAR_EL2, same
   * syndrome layout).
   */
  readonly el: 0 | 1 | 2;
}

/** A fault status code (IFSC/DFSC) split into its fault kind and lookup level, as {@link decodeFsc} returns it. */
export interface A64FaultStatus {
  /** The fault family ({@link A64FaultKind}): FSC bits [5:2]. */
  readonly kind: A64FaultKind;
  /** The lookup level the fault is reported at, 0..3 in Arm numbering: FSC bits [1:0]. */
  readonly level: number;
}

/** The fields of an ESR_ELx value, as {@link decodeEsr} returns them. */
export interface A64EsrFields {
  /** EC, bits [31:26]. */
  readonly ec: number;
  /** IL, bit 25: a 32-bit instruction. */
  readonly il: boolean;
  /** ISS, bits [24:0]. */
  readonly iss: number;
  /** Whether EC is one of the four abort classes of {@link A64Ec}. */
  readonly abort: boolean;
  /** Whether the abort is an Instruction Abort (EC 0x20 or 0x21). */
  readonly instruction: boolean;
  /** Whether the abort came from a lower Exception level (EC 0x20 or 0x24). */
  readonly lowerEl: boolean;
  /** The fault status code, ISS bits [5:0] (meaningful for aborts). */
  readonly fsc: number;
  /** The FSC decoded, or undefined for a code other than the {@link A64FaultKind} families at levels 0..3. */
  readonly fault?: A64FaultStatus;
  /** WnR, ISS bit 6 (Data Aborts only). */
  readonly wnr: boolean;
  /** S1PTW, ISS bit 7: the fault was on a stage-2 translation of a stage-1 walk. */
  readonly s1ptw: boolean;
  /** CM, ISS bit 8: a cache-maintenance instruction (Data Aborts only). */
  readonly cm: boolean;
  /** EA, ISS bit 9: external abort type. */
  readonly ea: boolean;
  /** FnV, ISS bit 10: FAR is not valid. */
  readonly fnv: boolean;
  /** ISV, ISS bit 24: the instruction syndrome (bits [23:14]) is valid (Data Aborts only). */
  readonly isv: boolean;
}

const IL = 1 << 25;
const WNR = 1 << 6;
const FAULT_NAMES = new Map<number, string>([
  [A64FaultKind.AddressSize, 'Address size fault'],
  [A64FaultKind.Translation, 'Translation fault'],
  [A64FaultKind.AccessFlag, 'Access flag fault'],
  [A64FaultKind.Permission, 'Permission fault'],
  [A64FaultKind.ExternalAbortOnWalk, 'Synchronous External abort on translation table walk'],
]);

/**
 * The exception class of a stage-1 abort: an instruction fetch gives an
 * Instruction Abort, a load or store a Data Abort; from EL0 it is taken to
 * EL1 ("lower EL"), from EL1 to EL1 ("same EL").
 */
export function abortEc(fetch: boolean, el: number): A64Ec {
  if (fetch) return el === 0 ? A64Ec.InstructionAbortLowerEl : A64Ec.InstructionAbortSameEl;
  return el === 0 ? A64Ec.DataAbortLowerEl : A64Ec.DataAbortSameEl;
}

/**
 * The fault status code (IFSC/DFSC) for a fault kind at a lookup level 0..3:
 * `kind | level` (Arm ARM: e.g. 0b000111 "Translation fault, level 3").
 *
 * @throws RangeError for a level outside 0..3 or an unknown kind.
 */
export function faultStatusCode(kind: A64FaultKind, level: number): number {
  if (!FAULT_NAMES.has(kind)) throw new RangeError(`aarch64: unknown fault kind 0x${Number(kind).toString(16)}`);
  if (!Number.isInteger(level) || level < 0 || level > 3)
    throw new RangeError(`aarch64: fault level ${level} is not 0..3`);
  return kind | level;
}

/**
 * Splits a fault status code into kind and level; undefined for codes that
 * are not a stage-1 walk fault at levels 0..3 (e.g. alignment faults, or
 * the level -1 codes of FEAT_LPA2).
 */
export function decodeFsc(fsc: number): A64FaultStatus | undefined {
  if (!Number.isInteger(fsc) || fsc < 0 || fsc > 0x3f) return undefined;
  const kind = fsc & 0x3c;
  // Level 0 of the access-flag and permission families (0x08, 0x0c) is only
  // defined with FEAT_LPA2, yet QEMU 7.2 can report 0x08 (its level-0
  // block bug), so they are decoded too.
  if (!FAULT_NAMES.has(kind)) return undefined;
  return { kind: kind as A64FaultKind, level: fsc & 3 };
}

/**
 * ESR_EL1 of a stage-1 Instruction or Data Abort: EC, IL = 1, the fault
 * status code and, for a Data Abort on a store, WnR. Everything else is
 * zero, as QEMU 7.2 reports aborts taken to EL1 (ISV = 0).
 */
export function abortEsr(ec: A64Ec, fsc: number, wnr: boolean): number {
  const data = ec === A64Ec.DataAbortLowerEl || ec === A64Ec.DataAbortSameEl;
  return ((ec << 26) | IL | (data && wnr ? WNR : 0) | (fsc & 0x3f)) >>> 0;
}

/**
 * Decodes an ESR_ELx value (the low 32 bits; ISS2 is ignored) into its
 * fields, with the abort-specific ISS bits (Arm ARM "ISS encoding for an
 * exception from an Instruction Abort / a Data Abort").
 */
export function decodeEsr(esr: number | bigint): A64EsrFields {
  const v = typeof esr === 'bigint' ? Number(esr & 0xffff_ffffn) : esr >>> 0;
  const ec = v >>> 26;
  const iss = v & 0x1ff_ffff;
  const abort = ec === 0x20 || ec === 0x21 || ec === 0x24 || ec === 0x25;
  const instruction = ec === 0x20 || ec === 0x21;
  const fsc = iss & 0x3f;
  const fault = abort ? decodeFsc(fsc) : undefined;
  return {
    ec,
    il: (v & IL) !== 0,
    iss,
    abort,
    instruction,
    lowerEl: ec === 0x20 || ec === 0x24,
    fsc,
    ...(fault === undefined ? {} : { fault }),
    wnr: !instruction && (iss & WNR) !== 0,
    s1ptw: (iss & (1 << 7)) !== 0,
    cm: !instruction && (iss & (1 << 8)) !== 0,
    ea: (iss & (1 << 9)) !== 0,
    fnv: (iss & (1 << 10)) !== 0,
    isv: !instruction && (iss & (1 << 24)) !== 0,
  };
}

/** The Arm ARM name of a fault kind, e.g. `Permission fault`. */
export function faultKindName(kind: A64FaultKind): string {
  return FAULT_NAMES.get(kind) ?? `fault 0x${Number(kind).toString(16)}`;
}

/**
 * A one-line description of a fault, e.g.
 * `Data Abort from EL0 (write): Permission fault, level 3 at 0x6000 (ESR 0x9200004f)`.
 */
export function formatA64Fault(f: A64Fault): string {
  const instr = f.ec === A64Ec.InstructionAbortLowerEl || f.ec === A64Ec.InstructionAbortSameEl;
  const from = `EL${f.el}`;
  const what = instr ? 'Instruction Abort' : 'Data Abort';
  const acc = instr ? 'fetch' : f.wnr ? 'write' : 'read';
  return `${what} from ${from} (${acc}): ${faultKindName(f.kind)}, level ${f.level} at 0x${f.far.toString(16)} (ESR 0x${f.esr.toString(16)})`;
}

/**
 * The abort a stage-1 fault of `kind` at lookup `level` raises for an
 * access at `el` to VA (hi, lo): a fetch (`fetch`) or a load / store
 * (`wnr`), with its ESR and FAR. The one encoder of the MMU's fault record.
 */
export function abortFault(
  kind: number,
  level: number,
  hi: number,
  lo: number,
  fetch: boolean,
  wnr: boolean,
  el: number,
): A64Fault {
  const ec = abortEc(fetch, el);
  const fsc = kind | level;
  return {
    esr: abortEsr(ec, fsc, wnr),
    far: fromHalves(hi, lo) as VirtAddr,
    ec,
    fsc,
    kind: kind as A64FaultKind,
    level,
    wnr,
    el: el as 0 | 1 | 2,
  };
}
