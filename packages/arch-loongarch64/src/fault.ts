/**
 * The LoongArch64 MMU fault record and the ESTAT / TLBEHI encodings an
 * emulator writes when it raises one (LoongArch Reference Manual Vol. 1,
 * "Exception Status" (ESTAT), "Bad Virtual Address" (BADV), "TLB Entry High"
 * (TLBEHI), "TLB Refill Exception Entry High" (TLBREHI)).
 *
 * @module
 */

import { type AddrLike, toAddrValue, toBigInt, type VirtAddr } from '@page-table/memory-addr';

/**
 * ESTAT.Ecode values of the MMU exceptions (manual, "Exception Status",
 * table of exception codes). `INE` (instruction not exist) is what a
 * reserved INVTLB op raises.
 */
export const LA64Ecode = {
  /** Page Invalid for Load: a load matched a TLB half with V = 0. */
  PIL: 0x1,
  /** Page Invalid for Store: a store matched a TLB half with V = 0. */
  PIS: 0x2,
  /** Page Invalid for Fetch: a fetch matched a TLB half with V = 0. */
  PIF: 0x3,
  /** Page Modification Exception: a store to a page with D = 0. */
  PME: 0x4,
  /** Page Non-Readable: a load from a page with NR = 1. */
  PNR: 0x5,
  /** Page Non-eXecutable: a fetch from a page with NX = 1. */
  PNX: 0x6,
  /** Page Privilege Illegal: CRMD.PLV fails the page's PLV/RPLV check. */
  PPI: 0x7,
  /** Address Error (ADEF or ADEM, told apart by EsubCode). */
  ADE: 0x8,
  /** Instruction Not Exist: e.g. INVTLB with a reserved op. */
  INE: 0xd,
} as const;

/** ESTAT.EsubCode values of `Ecode = ADE`: fetch (ADEF) or data (ADEM) address error. */
export const LA64AdeSubcode = {
  /** Address error for an instruction fetch. */
  ADEF: 0,
  /** Address error for a load or store. */
  ADEM: 1,
} as const;

/** The mnemonic of an MMU fault; `TLBR` is the TLB refill exception (no TLB entry matched). */
export type LA64FaultName = 'TLBR' | 'PIL' | 'PIS' | 'PIF' | 'PME' | 'PNR' | 'PNX' | 'PPI' | 'ADEF' | 'ADEM';

/**
 * A LoongArch64 MMU fault: what `LA64Mmu.translate` returns instead of a
 * translation, and what the emulator raises.
 *
 * - Ordinary faults (PIL … PPI, ADEF, ADEM): write `ecode`/`esubcode` into
 *   ESTAT ({@link estatWithFault}), `badv` into BADV, VPPN into TLBEHI
 *   ({@link tlbehiVppn}; for PIL … PPI), and take the general exception
 *   entry.
 * - `refill: true` (TLBR): no TLB entry matched and the MMU does not walk
 *   (`ptw: false`). The hardware leaves ESTAT unchanged; it sets
 *   TLBRERA.IsTLBR = 1, TLBRBADV = `badv`, TLBREHI.VPPN, and enters the
 *   refill handler at TLBRENTRY in direct-address mode at PLV0. `ecode` is
 *   then the PIL / PIS / PIF code of the access (as QEMU carries it), for
 *   information only.
 */
export interface LA64Fault {
  /** ESTAT.Ecode ({@link LA64Ecode}); for a refill, the PIL/PIS/PIF code of the access (ESTAT is not written). */
  readonly ecode: number;
  /** ESTAT.EsubCode: 0, or {@link LA64AdeSubcode} for ADE. */
  readonly esubcode: number;
  /** BADV (TLBRBADV for a refill): the faulting VA; for a fetch, the PC. */
  readonly badv: VirtAddr;
  /** Present (true) only for the TLB refill exception. */
  readonly refill?: true;
  /** The mnemonic: `TLBR`, `PIL`, `PIS`, `PIF`, `PME`, `PNR`, `PNX`, `PPI`, `ADEF` or `ADEM`. */
  readonly name: LA64FaultName;
}

const NAMES: readonly (LA64FaultName | undefined)[] = [undefined, 'PIL', 'PIS', 'PIF', 'PME', 'PNR', 'PNX', 'PPI'];

/** The mnemonic of an MMU fault code, or `undefined` for a code that is not an MMU fault. */
export function la64FaultName(ecode: number, esubcode = 0, refill = false): LA64FaultName | undefined {
  if (refill) return ecode >= LA64Ecode.PIL && ecode <= LA64Ecode.PIF ? 'TLBR' : undefined;
  if (ecode === LA64Ecode.ADE) {
    return esubcode === LA64AdeSubcode.ADEF ? 'ADEF' : esubcode === LA64AdeSubcode.ADEM ? 'ADEM' : undefined;
  }
  return esubcode === 0 ? NAMES[ecode] : undefined;
}

/** Builds a fault record (checks that the code is an MMU fault; `badv` any 64-bit VA). */
export function la64Fault(ecode: number, esubcode: number, badv: AddrLike, refill = false): LA64Fault {
  const name = la64FaultName(ecode, esubcode, refill);
  if (name === undefined) {
    throw new RangeError(`loongarch64: Ecode ${ecode}/EsubCode ${esubcode} is not an MMU fault`);
  }
  const va = toAddrValue(badv, 'badv') as VirtAddr;
  return refill ? { ecode, esubcode, badv: va, refill: true, name } : { ecode, esubcode, badv: va, name };
}

const ECODE_SHIFT = 16;
const ECODE_MASK = 0x3f << ECODE_SHIFT;
const ESUBCODE_SHIFT = 22;
const ESUBCODE_MASK = 0x1ff << ESUBCODE_SHIFT;

/**
 * ESTAT after the hardware records `fault`: Ecode (bits 21:16) and EsubCode
 * (bits 30:22) replaced, the interrupt status bits kept. A refill leaves
 * ESTAT unchanged. Returns an unsigned 32-bit number.
 */
export function estatWithFault(estat: number, fault: LA64Fault): number {
  if (fault.refill) return estat >>> 0;
  return (
    ((estat & ~(ECODE_MASK | ESUBCODE_MASK)) | (fault.ecode << ECODE_SHIFT) | (fault.esubcode << ESUBCODE_SHIFT)) >>> 0
  );
}

/** Ecode and EsubCode of an ESTAT value. */
export function estatCode(estat: number): {
  /** ESTAT.Ecode, bits 21:16: the exception code ({@link LA64Ecode}). */
  ecode: number;
  /** ESTAT.EsubCode, bits 30:22: the sub-code that tells apart exceptions sharing an Ecode (e.g. {@link LA64AdeSubcode}). */
  esubcode: number;
} {
  return { ecode: (estat >>> ECODE_SHIFT) & 0x3f, esubcode: (estat >>> ESUBCODE_SHIFT) & 0x1ff };
}

/**
 * The fault an ESTAT value (and BADV) records, or `undefined` when its Ecode
 * is not an MMU fault. A refill cannot be decoded from ESTAT (it leaves
 * ESTAT alone; TLBRERA.IsTLBR tells it).
 */
export function faultFromEstat(estat: number, badv: AddrLike): LA64Fault | undefined {
  const { ecode, esubcode } = estatCode(estat);
  return la64FaultName(ecode, esubcode) === undefined ? undefined : la64Fault(ecode, esubcode, badv);
}

/**
 * The VPPN field as it sits in TLBEHI / TLBREHI for a faulting VA: bits
 * [VALEN-1:13] of `badv`, in place (bits 12:0 and VALEN..63 zero). The
 * hardware writes it on PIL … PPI (TLBEHI) and on a refill (TLBREHI, whose
 * PS field, bits 5:0, it leaves alone).
 */
export function tlbehiVppn(badv: AddrLike, valen = 48): bigint {
  return toBigInt(toAddrValue(badv, 'badv')) & ((1n << BigInt(valen)) - 1n) & ~0x1fffn;
}

/**
 * A fault as one line for logs: `PME (Ecode 0x4) BADV=0x5000`,
 * `ADEM (Ecode 0x8, EsubCode 1) BADV=0x800000000000`, `TLBR (refill) BADV=0x4123`.
 */
export function formatLA64Fault(fault: LA64Fault): string {
  const badv = `BADV=0x${fault.badv.toString(16)}`;
  if (fault.refill) return `TLBR (refill) ${badv}`;
  const sub = fault.esubcode !== 0 ? `, EsubCode ${fault.esubcode}` : '';
  return `${fault.name} (Ecode 0x${fault.ecode.toString(16)}${sub}) ${badv}`;
}
