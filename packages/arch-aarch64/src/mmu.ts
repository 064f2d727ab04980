/**
 * `A64Mmu`: the AArch64 stage-1 MMU of the EL1&0 regime, and of the EL2
 * regime without VHE (VMSAv8-64, 4 KiB granule), for emulators: access-checked translation with the exact
 * Instruction/Data Abort, the hardware Access-flag and dirty-state updates
 * (FEAT_HAFDBS), a side-effect-free debug walk and an ASID-tagged software
 * TLB invalidated by methods named after the TLBI instructions.
 *
 * Arm ARM D8 ("The AArch64 Virtual Memory System Architecture"): D8.2
 * translation process, D8.4 memory access control, D8.5 hardware updates
 * of the translation tables, D8.13 TLB maintenance.
 *
 * @module
 */

import {
  Access,
  accessError,
  checkAccess,
  checkTlbEntries,
  type DebugTranslation,
  type EmulatorMmu,
  EntryCas,
  MappingFlags,
  type MmuFaultReport,
  type MmuInfo,
  type MmuStats,
  newMmuStats,
  PageSize,
  type PhysMemory,
  resetMmuStats,
  SoftTlb,
  sharedReport,
  type TranslateResult,
  vaHalves,
  vaHi,
  vaLo,
  type WalkStep,
} from '@page-table/core';
import { type AddrLike, fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { type A64Fault, A64FaultKind, abortEc, abortEsr, faultKindName } from './fault.js';
import { A64_MMU_INFO, a64FaultKindId, describeA64Fault } from './mmu-report.js';

/** A system-register value as the emulator holds it: a number when it fits 53 bits, else a bigint. */
export type A64RegValue = number | bigint;

/**
 * The CPU state the MMU reads, as raw register values named as in the Arm
 * ARM. Omitted registers take their reset value: SCTLR_EL1 resets with
 * M = 0 (MMU off) and is taken as 0; TTBR0/1_EL1, TCR_EL1 and MAIR_EL1 have
 * architecturally UNKNOWN reset values and are taken as 0; `el` is 1 and
 * `pan` false.
 */
export interface A64MmuRegisters {
  /** TTBR0_EL1: BADDR [47:1] (the lower range's root), ASID [63:48], CnP [0]. */
  readonly ttbr0?: A64RegValue;
  /** TTBR1_EL1: BADDR [47:1] (the upper range's root), ASID [63:48], CnP [0]. */
  readonly ttbr1?: A64RegValue;
  /**
   * TCR_EL1. Used: T0SZ [5:0], EPD0 [7], T1SZ [21:16], A1 [22], EPD1 [23],
   * IPS [34:32], AS [36], TBI0/TBI1 [37]/[38], HA [39], HD [40],
   * HPD0/HPD1 [41]/[42], TBID0/TBID1 [51]/[52], E0PD0/E0PD1 [55]/[56].
   * TG0/TG1 are ignored: the modelled CPU implements only the 4 KiB granule,
   * and an unimplemented granule behaves as an implemented one. DS is RES0
   * (no FEAT_LPA2); cacheability and shareability fields have no effect.
   */
  readonly tcr?: A64RegValue;
  /** SCTLR_EL1. Used: M [0] (stage 1 on), WXN [19]. EE [25] must be 0 (little-endian walks). */
  readonly sctlr?: A64RegValue;
  /** MAIR_EL1: the memory type of each AttrIndx, reported as `DEVICE` / `UNCACHED` flags. */
  readonly mair?: A64RegValue;
  /**
   * The current Exception level of the accesses: 0 (EL0) or 1 (EL1) use the
   * EL1&0 regime, 2 the EL2 regime of a hypervisor without VHE
   * (HCR_EL2.E2H = 0) with the `*El2` registers.
   */
  readonly el?: 0 | 1 | 2;
  /** PSTATE.PAN: EL1 data accesses to EL0-accessible pages fault (FEAT_PAN). No effect at EL2 (E2H = 0). */
  readonly pan?: boolean;
  /** TTBR0_EL2: BADDR [47:1] of the EL2 regime's only range (there is no ASID with E2H = 0). */
  readonly ttbr0El2?: A64RegValue;
  /**
   * TCR_EL2 (E2H = 0 layout). Used: T0SZ [5:0], PS [18:16], TBI [20], HA
   * [21], HD [22], HPD [24], TBID [29]; TG0 as for TCR_EL1.
   */
  readonly tcrEl2?: A64RegValue;
  /** SCTLR_EL2. Used: M [0], WXN [19]; EE [25] must be 0. */
  readonly sctlrEl2?: A64RegValue;
  /** MAIR_EL2. */
  readonly mairEl2?: A64RegValue;
}

/** Options of an {@link A64Mmu}: the registers plus the modelled CPU's features and the TLB size. */
export interface A64MmuOptions extends A64MmuRegisters {
  /**
   * Physical address size the CPU implements (ID_AA64MMFR0_EL1.PARange):
   * 32, 36, 40, 42, 44, 48 or 52 bits; default 48. TCR_EL1.IPS is bounded
   * by it, and without FEAT_LPA2 the output size is at most 48 bits.
   */
  readonly paBits?: number;
  /** FEAT_TTST: T0SZ/T1SZ up to 48 (start at level 3) instead of 39. Default false. */
  readonly ttst?: boolean;
  /** FEAT_HAFDBS: TCR_EL1.HA/HD take effect. Default true (without it they are RES0). */
  readonly hafdbs?: boolean;
  /** Software TLB entries (a power of two), default 256; 0 disables the TLB (every access walks). */
  readonly tlbEntries?: number;
}

/** What a debug walk read at one level: core's {@link WalkStep} plus the Arm level and the descriptor's type. */
export interface A64WalkStep extends WalkStep {
  /** The Arm lookup level, 0..3 (`level` counts from the leaves: `3 - lookupLevel`). */
  readonly lookupLevel: number;
  /** How the descriptor reads at this level (a `01` descriptor is a block at levels 1 and 2, reserved at 0 and 3). */
  readonly kind: 'table' | 'block' | 'page' | 'invalid' | 'reserved';
}

/** The leaf a debug walk reached, with its permissions after every table level and control bit. */
export interface A64LeafInfo {
  /** The leaf descriptor as it is in memory. */
  readonly descriptor: bigint;
  /** What `translate` would write back (AF set by TCR.HA, AP[2] cleared by DBM on a store); absent if nothing. */
  readonly update?: bigint;
  /** Effective AP[2:1] (after APTable): 0 EL1 RW, 1 EL1+EL0 RW, 2 EL1 RO, 3 EL1+EL0 RO (EL2 regime: AP[1] reads as 0). */
  readonly ap: number;
  /** Effective PXN (descriptor PXN or a PXNTable above, unless HPD). */
  readonly pxn: boolean;
  /** Effective UXN (descriptor UXN or a UXNTable above, unless HPD); the XN of the EL2 regime. */
  readonly uxn: boolean;
  /** Access flag (bit 10) in memory. */
  readonly af: boolean;
  /** DBM (bit 51). */
  readonly dbm: boolean;
  /** Not nG: the translation is global, not tagged with the ASID. */
  readonly global: boolean;
  /** AttrIndx [4:2] and the MAIR_EL1 byte it selects. */
  readonly attrIndx: number;
  /** The MAIR_EL1 attribute byte of {@link attrIndx}. */
  readonly memAttr: number;
  /** What EL0 may do (READ/WRITE/EXECUTE, plus USER and the memory type); 0 in the EL2 regime. */
  readonly el0: MappingFlags;
  /** What EL1 may do under the current PAN and WXN; 0 in the EL2 regime. */
  readonly el1: MappingFlags;
  /** What EL2 may do under SCTLR_EL2.WXN (EL2 regime only). */
  readonly el2?: MappingFlags;
}

/** {@link A64Mmu.debugTranslate}'s report: core's {@link DebugTranslation} with the Arm details. */
export interface A64DebugTranslation extends DebugTranslation<A64Fault> {
  /** Every descriptor read, from the start level down. */
  readonly steps: readonly A64WalkStep[];
  /** The translation regime walked: EL1&0 (EL0 and EL1 accesses) or EL2 (E2H = 0). */
  readonly regime: 'EL1&0' | 'EL2';
  /** Which range the VA is in (VA bit 55: TTBR0 or TTBR1; TTBR0_EL2 at EL2); undefined with the MMU off. */
  readonly ttbr?: 0 | 1;
  /** The ASID translations of this walk would be tagged with if nG (EL1&0 regime only). */
  readonly asid?: number;
  /** The range's input size in bits (64 - TxSZ) and start level. */
  readonly inputSize?: number;
  /** The Arm lookup level the walk starts at. */
  readonly startLevel?: number;
  /** The leaf reached, when the walk got to one (also on Access-flag and Permission faults). */
  readonly leaf?: A64LeafInfo;
}

// Descriptor bits, by half.
const VALID = 1;
const NOT_BLOCK = 2;
const AP_RO = 1 << 7;
const AF = 1 << 10;
const NG = 1 << 11;
const HI_ADDR = 0xffff; // bits 47..32
const HI_DBM = 1 << (51 - 32);
const HI_TABLE_SHIFT = 59 - 32; // PXNTable, UXNTable, APTable[0], APTable[1]

// TCR_EL1 bits, by half.
const TCR_EPD0 = 1 << 7;
const TCR_A1 = 1 << 22;
const TCR_EPD1 = 1 << 23;
const TCRH_AS = 1 << (36 - 32);
const TCRH_TBI0 = 1 << (37 - 32);
const TCRH_HA = 1 << (39 - 32);
const TCRH_HD = 1 << (40 - 32);
const TCRH_HPD0 = 1 << (41 - 32);
const TCRH_TBID0 = 1 << (51 - 32);
const TCRH_E0PD0 = 1 << (55 - 32);

// TCR_EL2 (E2H = 0) bits, all in the low word.
const TCR2_TBI = 1 << 20;
const TCR2_HA = 1 << 21;
const TCR2_HD = 1 << 22;
const TCR2_HPD = 1 << 24;
const TCR2_TBID = 1 << 29;

const SCTLR_M = 1;
const SCTLR_WXN = 1 << 19;
const SCTLR_EE = 1 << 25;

const TWO32 = 4294967296;
/** 4 KiB pages in a leaf at each Arm level. */
const LEAF_PAGES = [134217728, 262144, 512, 1];
// Bytes of a leaf by Arm lookup level (a level-0 leaf exists only where QEMU 7.2 accepts one).
const LEAF_SIZES = [2 ** 39, 2 ** 30, 2 ** 21, 4096];
/** PA sizes of ID_AA64MMFR0_EL1.PARange / TCR_EL1.IPS codes. */
const PA_SIZES = [32, 36, 40, 42, 44, 48, 52];

// Allowed-access bits of the permission table.
const R = 1 << Access.Read;
const W = 1 << Access.Write;
const X = 1 << Access.Execute;

// Why a walk stopped (debug reports).
const WHY_NONE = 0;
const WHY_TOP_BITS = 1;
const WHY_TSZ = 2;
const WHY_E0PD = 3;
const WHY_EPD = 4;
const WHY_TTBR_SIZE = 5;
const WHY_INVALID = 6;
const WHY_RESERVED = 7;
const WHY_BLOCK_L0 = 8;
const WHY_OA_SIZE = 9;
const WHY_AF = 10;
const WHY_PERM = 11;
const WHY_SEA = 12;
const WHY_FLAT_SIZE = 13;

/** Range index of the EL2 regime in the per-range tables (0 and 1 are TTBR0_EL1 and TTBR1_EL1). */
const EL2 = 2;
/**
 * XOR-ed into VA[55:32] to make the TLB tag of an EL2-regime translation:
 * top byte 0x01 (EL1&0 tags have 0x00 or 0xff), and low bits that send it to
 * another slot than the EL1&0 translation of the same VA.
 */
const EL2_TAG = 0x0100_00a5;

/** The index of VA (hi, lo) in a table at Arm level 0..3. */
function indexAt(hi: number, lo: number, level: number): number {
  switch (level) {
    case 0:
      return (hi >>> 7) & 511;
    case 1:
      return ((lo >>> 30) | (hi << 2)) & 511;
    case 2:
      return (lo >>> 21) & 511;
    default:
      return (lo >>> 12) & 511;
  }
}

/**
 * The accesses AP[2:1], PXN and UXN allow at an Exception level (Arm ARM
 * D8.4.1 "Data access permissions", D8.4.2 "Execute-never controls",
 * AArch64.S1ApplyOutputPerms; QEMU `get_S1prot`). `i` packs AP[1] (bit 0),
 * AP[2] (bit 1), PXN (bit 2), UXN (bit 3).
 */
function allowed(i: number, el: number, pan: boolean, wxn: boolean): number {
  const ap1 = (i & 1) !== 0;
  const ap2 = (i & 2) !== 0;
  const pxn = (i & 4) !== 0;
  const uxn = (i & 8) !== 0;
  const userW = ap1 && !ap2;
  if (el === 2) {
    // One privilege level: AP[2] alone (AP[1] is RES1), XN is bit 54; no PAN.
    return R | (ap2 ? 0 : W) | (!uxn && !(wxn && !ap2) ? X : 0);
  }
  if (el === 0) {
    return (ap1 ? R : 0) | (userW ? W : 0) | (!uxn && !(wxn && userW) ? X : 0);
  }
  const privW = !ap2;
  // EL1 never executes what EL0 may write (the implied PXN of a two-range regime).
  const x = !pxn && !userW && !(wxn && privW) ? X : 0;
  // PAN: no EL1 data access to pages EL0 can read or write; fetches unaffected.
  if (pan && ap1) return x;
  return R | (privW ? W : 0) | x;
}

/** MappingFlags of a memory-attribute byte: DEVICE for Device memory, UNCACHED for Normal inner+outer non-cacheable. */
function memTypeFlags(attr: number): MappingFlags {
  if ((attr & 0xf0) === 0) return MappingFlags.DEVICE;
  if (attr === 0x44) return MappingFlags.UNCACHED;
  return 0;
}

function toHalves(v: A64RegValue, what: string): [number, number] {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`aarch64 MMU: ${what} ${v} is not a non-negative safe integer (use a bigint)`);
    return [(v / TWO32) >>> 0, v >>> 0];
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn)
      throw new RangeError(`aarch64 MMU: ${what} 0x${v.toString(16)} is not a 64-bit value`);
    return [Number(v >> 32n), Number(v & 0xffff_ffffn)];
  }
  throw new RangeError(`aarch64 MMU: ${what} must be a number or bigint, got ${typeof v}`);
}

function bits(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * The stage-1 MMU of an AArch64 CPU in the EL1&0 regime (and, with `el: 2`,
 * the EL2 regime with HCR_EL2.E2H = 0) with the 4 KiB granule, reading the
 * tables in place from the emulator's physical memory.
 *
 * ```ts
 * const mmu = new A64Mmu(ram, { ttbr0, ttbr1, tcr, sctlr, mair, el: 1, pan: false });
 * const pa = mmu.translatePa(va, Access.Read); // -1: raise mmu.faultEsr / mmu.far
 * ```
 *
 * - Walk: TTBR0 or TTBR1 by VA bit 55, start level from TxSZ, top-byte
 *   ignore (TBI, TBID for fetches), hierarchical APTable/UXNTable/PXNTable
 *   (unless HPD), WXN, PAN, the implied PXN of EL0-writable pages.
 * - Faults: Translation, Address size, Access flag, Permission and
 *   Synchronous External abort on a walk (a table outside backed memory),
 *   with the level, as an ESR_EL1 value ({@link A64Fault}). A fault is a
 *   value, never an exception.
 * - Hardware updates (TCR.HA, TCR.HD with DBM) are made in guest RAM only
 *   when the access is permitted, atomically (a 64-bit compare-and-swap on a
 *   SharedArrayBuffer) and restarting on a changed descriptor.
 * - TLB: 4 KiB-granular, tagged by ASID for nG translations; permissions
 *   are re-evaluated on every hit, so EL, PAN and WXN changes need no flush.
 *   Translation, Address size and Access flag faults are never cached.
 */
export class A64Mmu implements EmulatorMmu<A64Fault> {
  /** The physical memory the tables are read from (and AF/dirty updates written to). */
  readonly mem: PhysMemory;
  /** TLB hits, walks and faults since construction or {@link resetStats}. */
  readonly stats: MmuStats = newMmuStats();
  /** Implemented PA size in bits (ID_AA64MMFR0_EL1.PARange). */
  readonly paBits: number;
  /** Whether FEAT_TTST is modelled (TxSZ up to 48). */
  readonly ttst: boolean;
  /** Whether FEAT_HAFDBS is modelled (TCR.HA/HD effective). */
  readonly hafdbs: boolean;

  // ---- The last fault of translatePa / translatePaHalves / translate (read after a -1).
  /** ESR_EL1 of the last fault. */
  faultEsr = 0;
  /** Exception class of the last fault ({@link A64Ec}). */
  faultEc = 0;
  /** Fault status code (IFSC/DFSC) of the last fault. */
  faultFsc = 0;
  /** Kind of the last fault ({@link A64FaultKind}). */
  faultKind = 0;
  /** Arm lookup level (0..3) of the last fault. */
  faultLevel = 0;
  /** The Exception level the faulting access was made at (the abort is taken to EL1, or EL2 from EL2). */
  faultEl = 0;
  /** Whether the last fault was on a store (WnR). */
  faultWnr = false;
  /** FAR_EL1 bits [63:32] of the last fault. */
  faultFarHi = 0;
  /** FAR_EL1 bits [31:0] of the last fault. */
  faultFarLo = 0;

  private readonly tlb: SoftTlb | undefined;
  private readonly parange: number;
  private r0Hi = 0;
  private r0Lo = 0;
  private r1Hi = 0;
  private r1Lo = 0;
  private tcrHi = 0;
  private tcrLo = 0;
  private sctlrHi = 0;
  private sctlrLo = 0;
  private mairHi = 0;
  private mairLo = 0;
  private e2TtbrHi = 0;
  private e2TtbrLo = 0;
  private e2TcrLo = 0;
  private e2TcrHi = 0;
  private e2SctlrHi = 0;
  private e2SctlrLo = 0;
  private e2MairHi = 0;
  private e2MairLo = 0;
  private curEl = 1;
  private curPan = false;

  // Derived state.
  private mmuOn = false;
  private wxn = false;
  private ha = false;
  private hd = false;
  private asidMask = 0xff;
  private curAsid = 0;
  private outBits = 48;
  private outFrames = 2 ** 36;
  // The same for the EL2 regime.
  private e2On = false;
  private e2Wxn = false;
  private e2Ha = false;
  private e2Hd = false;
  private e2OutBits = 48;
  private e2OutFrames = 2 ** 36;
  private readonly permLut = new Uint8Array(16);
  /**
   * Per range (0 = TTBR0_EL1, 1 = TTBR1_EL1, 2 = TTBR0_EL2): input size,
   * start level, start-table index mask, walks disabled, HPD, TxSZ out of
   * range, E0PD.
   */
  private readonly rInput = new Uint8Array(3);
  private readonly rStart = new Uint8Array(3);
  private readonly rStartMask = new Uint16Array(3);
  private readonly rEpd = new Uint8Array(3);
  private readonly rHpd = new Uint8Array(3);
  private readonly rOob = new Uint8Array(3);
  private readonly rE0pd = new Uint8Array(3);
  /** VA bits that must equal bit 55 (range 1) or be 0, by `range << 1 | fetch` (TBI differs for fetches with TBID); signed, as `&` yields. */
  private readonly topHi = new Int32Array(6);
  private readonly topLo = new Int32Array(6);
  /** VA bits [63|55 : paBits] that must be zero with the MMU off, by `range << 1 | fetch` (high word). */
  private readonly flatHi = new Uint32Array(6);
  /** Whether an access is refused before any TLB lookup (TxSZ out of range, E0PD at EL0), per range. */
  private readonly rEarly = new Uint8Array(3);

  // Result of the last successful translatePa: perm bits (-1 = MMU off), Arm level, access.
  private lastPerm = 0;
  private lastLevel = 3;
  private lastAccess = 0;

  // Micro-TLBs (last data page, last fetched page): raw VA high word (-1 = empty), VPN, allowed accesses, perm, level, PA of the page.
  private dHi = -1;
  private dVpn = 0;
  private dOk = 0;
  private dPerm = 0;
  private dLevel = 3;
  private dBase = 0;
  private iHi = -1;
  private iVpn = 0;
  private iOk = 0;
  private iPerm = 0;
  private iLevel = 3;
  private iBase = 0;

  // Scratch output of walk().
  private wKind = 0;
  private wLevel = 0;
  private wWhy = WHY_NONE;
  private wFrame = 0;
  private wPerm = 0;
  private wGlobal = false;
  private wLeafLo = 0;
  private wLeafHi = 0;
  private wNewLo = 0;
  private wLeaf = false;
  private readonly entryCas = new EntryCas();

  /**
   * An MMU over `mem` (e.g. a `RamHandler` on the guest's RAM) with the
   * CPU's registers; see {@link A64MmuRegisters} for defaults.
   *
   * @throws RangeError for a register value that is not a 64-bit number or
   * bigint, an `el` other than 0, 1 or 2, SCTLR_ELx.EE set, an unknown
   * `paBits`, or a TLB size that is not 0 or a power of two.
   */
  constructor(mem: PhysMemory, options: A64MmuOptions = {}) {
    this.mem = mem;
    const pab = options.paBits ?? 48;
    const code = PA_SIZES.indexOf(pab);
    if (code < 0) throw new RangeError(`aarch64 MMU: paBits ${pab} is not one of ${PA_SIZES.join(', ')}`);
    this.paBits = Math.min(pab, 48);
    this.parange = code;
    this.ttst = options.ttst ?? false;
    this.hafdbs = options.hafdbs ?? true;
    const n = checkTlbEntries(options.tlbEntries, 'aarch64 MMU');
    this.tlb = n === 0 ? undefined : new SoftTlb(n);
    [this.r0Hi, this.r0Lo] = toHalves(options.ttbr0 ?? 0, 'TTBR0_EL1');
    [this.r1Hi, this.r1Lo] = toHalves(options.ttbr1 ?? 0, 'TTBR1_EL1');
    [this.tcrHi, this.tcrLo] = toHalves(options.tcr ?? 0, 'TCR_EL1');
    [this.sctlrHi, this.sctlrLo] = toHalves(options.sctlr ?? 0, 'SCTLR_EL1');
    if (this.sctlrLo & SCTLR_EE)
      throw new RangeError('aarch64 MMU: SCTLR_EL1.EE (big-endian table walks) is not supported');
    [this.mairHi, this.mairLo] = toHalves(options.mair ?? 0, 'MAIR_EL1');
    [this.e2TtbrHi, this.e2TtbrLo] = toHalves(options.ttbr0El2 ?? 0, 'TTBR0_EL2');
    [this.e2TcrHi, this.e2TcrLo] = toHalves(options.tcrEl2 ?? 0, 'TCR_EL2');
    [this.e2SctlrHi, this.e2SctlrLo] = toHalves(options.sctlrEl2 ?? 0, 'SCTLR_EL2');
    if (this.e2SctlrLo & SCTLR_EE)
      throw new RangeError('aarch64 MMU: SCTLR_EL2.EE (big-endian table walks) is not supported');
    [this.e2MairHi, this.e2MairLo] = toHalves(options.mairEl2 ?? 0, 'MAIR_EL2');
    this.curEl = checkEl(options.el ?? 1);
    this.curPan = options.pan ?? false;
    this.deriveTcr();
    this.deriveTcrEl2();
    this.deriveSctlr();
    this.deriveAsid();
    this.derivePerms();
  }

  // ------------------------------------------------------------ registers

  /** TTBR0_EL1: BADDR [47:1], the root table of the lower VA range, and ASID [63:48] (the current ASID unless TCR_EL1.A1). */
  get ttbr0(): A64RegValue {
    return fromHalves(this.r0Hi, this.r0Lo);
  }
  /**
   * MSR TTBR0_EL1: may switch the current ASID, and flushes no TLB entry
   * (translations are ASID-tagged; stale ones of the same ASID stay until a
   * TLBI, as on hardware).
   */
  set ttbr0(v: A64RegValue) {
    [this.r0Hi, this.r0Lo] = toHalves(v, 'TTBR0_EL1');
    this.deriveAsid();
    this.dropMicro();
  }

  /** TTBR1_EL1: BADDR [47:1], the root table of the upper VA range, and ASID [63:48] (the current ASID when TCR_EL1.A1). */
  get ttbr1(): A64RegValue {
    return fromHalves(this.r1Hi, this.r1Lo);
  }
  /** MSR TTBR1_EL1: as {@link ttbr0}, may switch the ASID and flushes no TLB entry. */
  set ttbr1(v: A64RegValue) {
    [this.r1Hi, this.r1Lo] = toHalves(v, 'TTBR1_EL1');
    this.deriveAsid();
    this.dropMicro();
  }

  /** TCR_EL1, the EL1&0 translation control: range sizes (T0SZ, T1SZ), walk enables, ASID size and source, TBI, HA/HD (see {@link A64MmuRegisters.tcr}). */
  get tcr(): A64RegValue {
    return fromHalves(this.tcrHi, this.tcrLo);
  }
  /** MSR TCR_EL1: a different value flushes the whole TLB (its fields may be cached in TLB entries; QEMU flushes too); the same value changes nothing. */
  set tcr(v: A64RegValue) {
    const [hi, lo] = toHalves(v, 'TCR_EL1');
    if (hi === this.tcrHi && lo === this.tcrLo) return;
    this.tcrHi = hi;
    this.tcrLo = lo;
    this.deriveTcr();
    this.deriveAsid();
    this.derivePerms();
    this.tlb?.flushAll();
    this.dropMicro();
  }

  /** SCTLR_EL1; the MMU reads M [0] (stage 1 on) and WXN [19] (writable implies execute-never). */
  get sctlr(): A64RegValue {
    return fromHalves(this.sctlrHi, this.sctlrLo);
  }
  /** MSR SCTLR_EL1: a change of M flushes the whole TLB; WXN is re-evaluated on every access. Throws `RangeError` if EE [25] is set. */
  set sctlr(v: A64RegValue) {
    const [hi, lo] = toHalves(v, 'SCTLR_EL1');
    if (lo & SCTLR_EE) throw new RangeError('aarch64 MMU: SCTLR_EL1.EE (big-endian table walks) is not supported');
    const mChanged = ((lo ^ this.sctlrLo) & SCTLR_M) !== 0;
    this.sctlrHi = hi;
    this.sctlrLo = lo;
    this.deriveSctlr();
    this.derivePerms();
    if (mChanged) this.tlb?.flushAll();
    this.dropMicro();
  }

  /** MAIR_EL1: eight 8-bit memory attributes, indexed by a descriptor's AttrIndx. */
  get mair(): A64RegValue {
    return fromHalves(this.mairHi, this.mairLo);
  }
  /** MSR MAIR_EL1: read afresh for every translation's flags, so nothing is flushed. */
  set mair(v: A64RegValue) {
    [this.mairHi, this.mairLo] = toHalves(v, 'MAIR_EL1');
  }

  /** The Exception level accesses are made at: 0 or 1 (EL1&0 regime), or 2 (the EL2 regime). */
  get el(): 0 | 1 | 2 {
    return this.curEl as 0 | 1 | 2;
  }
  /** Changes the Exception level, as an exception entry or ERET does: throws `RangeError` for a level other than 0, 1 or 2; permissions are re-evaluated per access, so nothing is flushed. */
  set el(v: 0 | 1 | 2) {
    this.curEl = checkEl(v);
    this.deriveEarly();
    this.derivePerms();
    this.dropMicro();
  }

  /** PSTATE.PAN (FEAT_PAN): EL1 data accesses to EL0-accessible pages fault while it is set. */
  get pan(): boolean {
    return this.curPan;
  }
  /** Sets PSTATE.PAN, as MSR PAN, #imm does: it is re-evaluated on every access, so nothing is flushed. */
  set pan(v: boolean) {
    this.curPan = v === true;
    this.derivePerms();
    this.dropMicro();
  }

  /** TTBR0_EL2: BADDR [47:1], the root table of the EL2 regime's only range (no ASID with E2H = 0). */
  get ttbr0El2(): A64RegValue {
    return fromHalves(this.e2TtbrHi, this.e2TtbrLo);
  }
  /** MSR TTBR0_EL2: flushes no TLB entry, as {@link ttbr0}; stale EL2 translations stay until a TLBI. */
  set ttbr0El2(v: A64RegValue) {
    [this.e2TtbrHi, this.e2TtbrLo] = toHalves(v, 'TTBR0_EL2');
    this.dropMicro();
  }

  /** TCR_EL2 in its E2H = 0 layout: T0SZ, PS, TBI, HA/HD, HPD, TBID (see {@link A64MmuRegisters.tcrEl2}). */
  get tcrEl2(): A64RegValue {
    return fromHalves(this.e2TcrHi, this.e2TcrLo);
  }
  /** MSR TCR_EL2: a different value flushes the whole TLB; the same value changes nothing. */
  set tcrEl2(v: A64RegValue) {
    const [hi, lo] = toHalves(v, 'TCR_EL2');
    if (hi === this.e2TcrHi && lo === this.e2TcrLo) return;
    this.e2TcrHi = hi;
    this.e2TcrLo = lo;
    this.deriveTcrEl2();
    this.tlb?.flushAll();
    this.dropMicro();
  }

  /** SCTLR_EL2; the MMU reads M [0] (EL2 stage 1 on) and WXN [19]. */
  get sctlrEl2(): A64RegValue {
    return fromHalves(this.e2SctlrHi, this.e2SctlrLo);
  }
  /** MSR SCTLR_EL2: a change of M flushes the whole TLB; WXN is re-evaluated per access. Throws `RangeError` if EE [25] is set. */
  set sctlrEl2(v: A64RegValue) {
    const [hi, lo] = toHalves(v, 'SCTLR_EL2');
    if (lo & SCTLR_EE) throw new RangeError('aarch64 MMU: SCTLR_EL2.EE (big-endian table walks) is not supported');
    const mChanged = ((lo ^ this.e2SctlrLo) & SCTLR_M) !== 0;
    this.e2SctlrHi = hi;
    this.e2SctlrLo = lo;
    this.deriveSctlr();
    this.derivePerms();
    if (mChanged) this.tlb?.flushAll();
    this.dropMicro();
  }

  /** MAIR_EL2: the eight memory attributes of the EL2 regime, indexed by AttrIndx. */
  get mairEl2(): A64RegValue {
    return fromHalves(this.e2MairHi, this.e2MairLo);
  }
  /** MSR MAIR_EL2: read afresh for every translation's flags, so nothing is flushed. */
  set mairEl2(v: A64RegValue) {
    [this.e2MairHi, this.e2MairLo] = toHalves(v, 'MAIR_EL2');
  }

  /** Sets several registers at once (each as its own setter would). */
  setRegisters(regs: A64MmuRegisters): void {
    if (regs.ttbr0 !== undefined) this.ttbr0 = regs.ttbr0;
    if (regs.ttbr1 !== undefined) this.ttbr1 = regs.ttbr1;
    if (regs.tcr !== undefined) this.tcr = regs.tcr;
    if (regs.sctlr !== undefined) this.sctlr = regs.sctlr;
    if (regs.mair !== undefined) this.mair = regs.mair;
    if (regs.ttbr0El2 !== undefined) this.ttbr0El2 = regs.ttbr0El2;
    if (regs.tcrEl2 !== undefined) this.tcrEl2 = regs.tcrEl2;
    if (regs.sctlrEl2 !== undefined) this.sctlrEl2 = regs.sctlrEl2;
    if (regs.mairEl2 !== undefined) this.mairEl2 = regs.mairEl2;
    if (regs.el !== undefined) this.el = regs.el;
    if (regs.pan !== undefined) this.pan = regs.pan;
  }

  /** The current EL1&0 ASID: TTBR0_EL1[63:48] (TTBR1_EL1's with TCR.A1), 8 bits unless TCR.AS. */
  get asid(): number {
    return this.curAsid;
  }

  // ---------------------------------------------------------- translation

  /**
   * Translates `va` for `access` at the current EL: `{ paddr, size, flags }`
   * (flags: what the current EL may do there, USER if EL0 has data access,
   * and the MAIR memory type), or `{ fault }`. Same TLB, counters and RAM
   * updates as {@link translatePa}.
   *
   * @throws RangeError for a VA that is not a 64-bit number or bigint, or an unknown access.
   */
  translate(va: AddrLike, access: Access): TranslateResult<A64Fault> {
    checkAccess(access);
    const [hi, lo] = vaHalves(va, 'aarch64 MMU');
    const pa = this.translatePaHalves(hi, lo, access);
    if (pa < 0) return { fault: this.lastFault! };
    return { paddr: pa as PhysAddr, size: this.lastSize, flags: this.lastFlags };
  }

  /**
   * The hot path: the PA of `va` (a non-negative safe integer; upper-range
   * VAs need {@link translatePaHalves}) as a number, or -1 on a fault, whose
   * details are then in the `fault*` fields ({@link lastFault} builds the
   * record). Allocates nothing.
   */
  translatePa(va: number, access: Access): number {
    return this.translatePaHalves(vaHi(va), vaLo(va), access);
  }

  /** {@link translatePa} with the VA as unsigned 32-bit halves (bits 63..32, 31..0). */
  translatePaHalves(hi: number, lo: number, access: Access): number {
    // Literals, not `Access.*` loads: this test runs on every hit.
    if (access !== 0 && access !== 1 && access !== 2) throw accessError(access);
    hi >>>= 0;
    lo >>>= 0;
    // The micro-TLBs: the last page used for data and for fetches, with the
    // accesses the current EL/PAN/WXN allow there (dropped by every TLBI and
    // by the register setters).
    const vpn = lo >>> 12;
    if (access === Access.Execute) {
      if (hi === this.iHi && vpn === this.iVpn && this.iOk !== 0) {
        this.stats.hits++;
        this.lastPerm = this.iPerm;
        this.lastLevel = this.iLevel;
        this.lastAccess = access;
        return this.iBase + (lo & 0xfff);
      }
    } else if (hi === this.dHi && vpn === this.dVpn && ((this.dOk >>> access) & 1) !== 0) {
      this.stats.hits++;
      this.lastPerm = this.dPerm;
      this.lastLevel = this.dLevel;
      this.lastAccess = access;
      return this.dBase + (lo & 0xfff);
    }
    // The PA comes back in a field: a PA above 2^31 returned from a call is a heap number, allocated per miss.
    return this.miss(hi, lo, vpn, access) < 0 ? -1 : this.missPa;
  }

  /** The PA found by the last successful {@link miss}. */
  private missPa = 0;

  /** Past the micro-TLBs: the MMU-off path, the VA checks, the TLB, the walk (kept apart so the hit path stays small). 0 with the PA in `missPa`, or -1. */
  private miss(hi: number, lo: number, vpn: number, access: number): number {
    const e2 = this.curEl === 2;
    if (!(e2 ? this.e2On : this.mmuOn)) {
      const flat = this.flat(hi, lo, access);
      if (flat < 0) return -1;
      this.missPa = flat;
      return 0;
    }
    const r = e2 ? EL2 : (hi >>> 23) & 1;
    if (!this.inRange(hi, lo, r, access) || this.rEarly[r] !== 0)
      return this.fail(A64FaultKind.Translation, 0, hi, lo, access);
    // The TLB tag: VA with the top byte replaced by bit 55 (the same for every
    // VA TBI may alias), or by a marker for the EL2 regime.
    const tag = r === 1 ? (hi | 0xff00_0000) >>> 0 : r === 0 ? hi & 0x00ff_ffff : (hi & 0x00ff_ffff) ^ EL2_TAG;
    const tlb = this.tlb;
    let perm: number;
    let level: number;
    if (tlb !== undefined) {
      const s = tlb.lookup(tag, lo, this.curAsid);
      if (s >= 0) {
        perm = tlb.perm(s);
        if ((this.permLut[perm & 15] >>> access) & 1) {
          this.stats.hits++;
          level = 3 - tlb.levelOf(s);
          const frame = tlb.frameOf(s);
          this.fillMicro(hi, vpn, access, perm, level, frame);
          this.missPa = frame * 4096 + (lo & 0xfff);
          return 0;
        }
        // Not permitted by the cached entry: walk again (the descriptor may
        // have been relaxed, or a store must set the dirty state), as QEMU does.
      }
    }
    this.stats.misses++;
    if (this.walkFrame(hi, lo, r, access, false, undefined) < 0)
      return this.fail(this.wKind, this.wLevel, hi, lo, access);
    perm = this.wPerm;
    level = this.wLevel;
    if (tlb !== undefined) {
      tlb.insert(tag, lo, this.curAsid, this.wGlobal || e2, this.wFrame, 3 - level, perm);
      this.fillMicro(hi, vpn, access, perm, level, this.wFrame);
    } else {
      this.lastPerm = perm;
      this.lastLevel = level;
      this.lastAccess = access;
    }
    this.missPa = this.wFrame * 4096 + (lo & 0xfff);
    return 0;
  }

  /** Whether the VA's bits above the range's input size are all VA[55] (range 1) or all 0 (ranges 0 and 2), TBI aside. */
  private inRange(hi: number, lo: number, r: number, access: number): boolean {
    const t = (r << 1) | (access >>> 1);
    const mh = this.topHi[t];
    const ml = this.topLo[t];
    return (hi & mh) === (r === 1 ? mh : 0) && (lo & ml) === (r === 1 ? ml : 0);
  }

  // Takes the 4 KiB frame, not the PA: a PA above 2^31 passed to a call is a heap number, allocated per miss.
  private fillMicro(hi: number, vpn: number, access: number, perm: number, level: number, frame: number): void {
    const ok = this.permLut[perm & 15];
    const base = frame * 4096;
    if (access === Access.Execute) {
      this.iHi = hi;
      this.iVpn = vpn;
      this.iOk = ok & X;
      this.iPerm = perm;
      this.iLevel = level;
      this.iBase = base;
    } else {
      this.dHi = hi;
      this.dVpn = vpn;
      this.dOk = ok & (R | W);
      this.dPerm = perm;
      this.dLevel = level;
      this.dBase = base;
    }
    this.lastPerm = perm;
    this.lastLevel = level;
    this.lastAccess = access;
  }

  /** Empties the micro-TLBs (after any TLBI or register change). */
  private dropMicro(): void {
    this.iHi = -1;
    this.dHi = -1;
  }

  /** Leaf size of the last successful `translatePa` (4 KiB with the MMU off). */
  get lastSize(): PageSize {
    if (this.lastPerm < 0) return PageSize.Size4K;
    return this.lastLevel === 3 ? PageSize.Size4K : this.lastLevel === 2 ? PageSize.Size2M : PageSize.Size1G;
  }

  /** Flags of the last successful `translatePa`, as {@link translate} reports them (under the current EL/PAN/WXN). */
  get lastFlags(): MappingFlags {
    const perm = this.lastPerm;
    if (perm < 0) {
      const all = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
      return this.lastAccess === Access.Execute ? all : all | MappingFlags.DEVICE;
    }
    return this.flagsOf(perm, this.permLut[perm & 15]);
  }

  /** The last fault of `translatePa`/`translate` as a record (allocates); undefined before any fault. */
  get lastFault(): A64Fault | undefined {
    if (this.faultEsr === 0) return undefined;
    return {
      esr: this.faultEsr,
      far: fromHalves(this.faultFarHi, this.faultFarLo) as VirtAddr,
      ec: this.faultEc as A64Fault['ec'],
      fsc: this.faultFsc,
      kind: this.faultKind as A64FaultKind,
      level: this.faultLevel,
      wnr: this.faultWnr,
      el: this.faultEl as 0 | 1 | 2,
    };
  }

  /** FAR_EL1 of the last fault (allocates a bigint for upper-range VAs). */
  get far(): VirtAddr {
    return fromHalves(this.faultFarHi, this.faultFarLo) as VirtAddr;
  }

  /** Zeroes {@link stats}. */
  resetStats(): void {
    resetMmuStats(this.stats);
  }

  /** The Arm ARM's table and privilege names. */
  get info(): MmuInfo {
    return A64_MMU_INFO;
  }

  /** A fault of this MMU in words and fields. */
  describeFault(fault: A64Fault): MmuFaultReport {
    return describeA64Fault(fault);
  }

  /** Drops every cached translation of both regimes (TLBI VMALLE1 and ALLE2), e.g. after guest RAM was restored from a snapshot. */
  flushAll(): void {
    this.tlb?.flushAll();
    this.dropMicro();
  }

  /**
   * The walk `translate` would make for `access`, reported level by level,
   * with no side effect at all: no AF or dirty write to RAM, no TLB lookup
   * or fill, counters and `fault*` fields untouched. `result` is what a TLB
   * miss would give (a stale TLB entry can make `translate` differ until the
   * guest invalidates it).
   *
   * @throws RangeError for a VA that is not a 64-bit number or bigint, or an unknown access.
   */
  debugTranslate(va: AddrLike, access: Access = Access.Read): A64DebugTranslation {
    checkAccess(access);
    const d = this.debugReport(va, access);
    const fault = d.result.fault;
    const leaf = d.leaf;
    const el = this.curEl;
    const permissions =
      fault === undefined
        ? d.result.flags
        : leaf === undefined
          ? undefined
          : el === 0
            ? leaf.el0
            : el === 1
              ? leaf.el1
              : leaf.el2;
    const last = d.steps.at(-1);
    const updates =
      leaf?.update === undefined || last === undefined
        ? []
        : [{ level: last.level, entryPaddr: last.entryPaddr, before: leaf.descriptor, after: leaf.update }];
    const size = leaf === undefined ? (fault === undefined ? d.result.size : undefined) : LEAF_SIZES[this.wLevel];
    const stop =
      fault === undefined
        ? {}
        : { stopLevel: last === undefined ? -1 : last.level, stopReason: a64FaultKindId(fault.kind) };
    return sharedReport({
      ...d,
      ...(permissions === undefined ? {} : { permissions }),
      ...(size === undefined ? {} : { leafSize: size }),
      access,
      updates,
      ...stop,
    });
  }

  private debugReport(va: AddrLike, access: Access): Omit<A64DebugTranslation, 'access' | 'updates'> {
    const [hi, lo] = vaHalves(va, 'aarch64 MMU');
    const v = fromHalves(hi, lo) as VirtAddr;
    const steps: A64WalkStep[] = [];
    const e2 = this.curEl === 2;
    const regime = e2 ? ('EL2' as const) : ('EL1&0' as const);
    const asid = e2 ? {} : { asid: this.curAsid };
    if (!(e2 ? this.e2On : this.mmuOn)) {
      const pa = this.flatPa(hi, lo, access);
      if (pa < 0)
        return {
          va: v,
          regime,
          steps,
          ...asid,
          result: { fault: this.record(A64FaultKind.AddressSize, 0, hi, lo, access) },
          stop: this.why(WHY_FLAT_SIZE, 0),
        };
      const all = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
      const flags = access === Access.Execute ? all : all | MappingFlags.DEVICE;
      return { va: v, regime, steps, ...asid, result: { paddr: pa as PhysAddr, size: PageSize.Size4K, flags } };
    }
    const r = e2 ? EL2 : (hi >>> 23) & 1;
    const base = {
      va: v,
      regime,
      steps,
      ...asid,
      ttbr: (r & 1) as 0 | 1,
      inputSize: this.rInput[r],
      startLevel: this.rStart[r],
    };
    let why = WHY_NONE;
    if (!this.inRange(hi, lo, r, access)) why = WHY_TOP_BITS;
    else if (this.rOob[r]) why = WHY_TSZ;
    else if (this.rE0pd[r] && this.curEl === 0) why = WHY_E0PD;
    if (why !== WHY_NONE) {
      return {
        ...base,
        result: { fault: this.record(A64FaultKind.Translation, 0, hi, lo, access) },
        stop: this.why(why, 0, r),
      };
    }
    this.wLeaf = false;
    const pa = this.walk(hi, lo, r, access, true, steps);
    let leaf: A64LeafInfo | undefined;
    if (this.wLeaf) {
      const llo = this.wLeafLo;
      const lhi = this.wLeafHi;
      const perm = this.wPerm;
      const attrIndx = (perm >>> 4) & 7;
      const mem = this.memAttr(attrIndx);
      const type = memTypeFlags(mem);
      const user = perm & 1 ? MappingFlags.USER : 0;
      const wxn = e2 ? this.e2Wxn : this.wxn;
      leaf = {
        descriptor: bits(lhi, llo),
        ...(this.wNewLo !== llo && pa >= 0 ? { update: bits(lhi, this.wNewLo) } : {}),
        ap: perm & 3,
        pxn: (perm & 4) !== 0,
        uxn: (perm & 8) !== 0,
        af: (llo & AF) !== 0,
        dbm: (lhi & HI_DBM) !== 0,
        global: e2 || (llo & NG) === 0,
        attrIndx,
        memAttr: mem,
        el0: e2 ? 0 : rwxFlags(allowed(perm & 15, 0, false, wxn)) | user | type,
        el1: e2 ? 0 : rwxFlags(allowed(perm & 15, 1, this.curPan, wxn)) | user | type,
        ...(e2 ? { el2: rwxFlags(allowed(perm & 15, 2, false, wxn)) | type } : {}),
      };
    }
    if (pa < 0) {
      return {
        ...base,
        ...(leaf === undefined ? {} : { leaf }),
        result: { fault: this.record(this.wKind, this.wLevel, hi, lo, access) },
        stop: this.why(this.wWhy, this.wLevel, r, access),
      };
    }
    const perm = this.wPerm;
    const size = this.wLevel === 3 ? PageSize.Size4K : this.wLevel === 2 ? PageSize.Size2M : PageSize.Size1G;
    return {
      ...base,
      ...(leaf === undefined ? {} : { leaf }),
      result: { paddr: pa as PhysAddr, size, flags: this.flagsOf(perm, this.permLut[perm & 15]) },
    };
  }

  // ---------------------------------------------------------------- TLBI

  /** TLBI VMALLE1: invalidates every EL1&0 translation (all ASIDs, global ones too). */
  tlbiVmalle1(): void {
    this.tlb?.flushAll();
    this.dropMicro();
  }

  /** TLBI VMALLE1IS: {@link tlbiVmalle1} (one PE here, so the Inner Shareable broadcast is the same). */
  tlbiVmalle1is(): void {
    this.tlbiVmalle1();
  }

  /** TLBI ALLE1 (from EL2): every EL1&0 translation; the same as {@link tlbiVmalle1} without stage 2. */
  tlbiAlle1(): void {
    this.tlbiVmalle1();
  }

  /** TLBI ASIDE1: invalidates the non-global translations of `asid` (Xt[63:48]; its upper 8 bits are ignored unless TCR.AS). */
  tlbiAside1(asid: number): void {
    this.tlb?.flushNonGlobal((asid & this.asidMask) >>> 0);
    this.dropMicro();
  }

  /** TLBI ASIDE1IS: {@link tlbiAside1}. */
  tlbiAside1is(asid: number): void {
    this.tlbiAside1(asid);
  }

  /**
   * TLBI VAE1: invalidates the translations of the page (or the whole block)
   * holding `va` that are global or tagged with `asid`. `va` is the address
   * (bits 63..56 are ignored, VA[55] selects the range), not the Xt operand:
   * {@link tlbiOperand} decodes one.
   */
  tlbiVae1(va: AddrLike, asid: number): void {
    const tlb = this.tlb;
    if (tlb === undefined) return;
    const [hi, lo] = toHalves(va, 'VA');
    tlb.flushVa(tagHi(hi), lo, (asid & this.asidMask) >>> 0, true);
    this.dropMicro();
  }

  /** TLBI VAE1IS: {@link tlbiVae1}. */
  tlbiVae1is(va: AddrLike, asid: number): void {
    this.tlbiVae1(va, asid);
  }

  /** TLBI VAAE1: invalidates the translations of the page or block holding `va` for every ASID. */
  tlbiVaae1(va: AddrLike): void {
    const tlb = this.tlb;
    if (tlb === undefined) return;
    const [hi, lo] = toHalves(va, 'VA');
    tlb.flushVa(tagHi(hi), lo, undefined, true);
    this.dropMicro();
  }

  /** TLBI VAAE1IS: {@link tlbiVaae1}. */
  tlbiVaae1is(va: AddrLike): void {
    this.tlbiVaae1(va);
  }

  /**
   * TLBI VALE1: last level only. This TLB holds only leaf translations (no
   * walk cache), so it drops exactly what {@link tlbiVae1} drops.
   */
  tlbiVale1(va: AddrLike, asid: number): void {
    this.tlbiVae1(va, asid);
  }

  /** TLBI VALE1IS: {@link tlbiVale1}. */
  tlbiVale1is(va: AddrLike, asid: number): void {
    this.tlbiVae1(va, asid);
  }

  /** TLBI VAALE1: last level, any ASID; the same as {@link tlbiVaae1} here. */
  tlbiVaale1(va: AddrLike): void {
    this.tlbiVaae1(va);
  }

  /** TLBI VAALE1IS: {@link tlbiVaale1}. */
  tlbiVaale1is(va: AddrLike): void {
    this.tlbiVaae1(va);
  }

  /**
   * TLBI ALLE2: every EL2-regime translation. The TLB cannot drop one regime
   * alone, so this flushes everything (dropping more is always allowed).
   */
  tlbiAlle2(): void {
    this.tlb?.flushAll();
    this.dropMicro();
  }

  /** TLBI ALLE2IS: {@link tlbiAlle2}. */
  tlbiAlle2is(): void {
    this.tlbiAlle2();
  }

  /** TLBI VAE2: the EL2-regime translation of the page or block holding `va`. */
  tlbiVae2(va: AddrLike): void {
    const tlb = this.tlb;
    if (tlb === undefined) return;
    const [hi, lo] = toHalves(va, 'VA');
    tlb.flushVa((hi & 0x00ff_ffff) ^ EL2_TAG, lo, undefined, true);
    this.dropMicro();
  }

  /** TLBI VAE2IS: {@link tlbiVae2}. */
  tlbiVae2is(va: AddrLike): void {
    this.tlbiVae2(va);
  }

  /** TLBI VALE2: last level only; the same as {@link tlbiVae2} here (no walk cache). */
  tlbiVale2(va: AddrLike): void {
    this.tlbiVae2(va);
  }

  /** TLBI VALE2IS: {@link tlbiVale2}. */
  tlbiVale2is(va: AddrLike): void {
    this.tlbiVae2(va);
  }

  // ------------------------------------------------------------- internals

  /** Translation with stage 1 disabled (SCTLR.M = 0): VA = PA, any access, Address size fault L0 above PAMax. */
  private flat(hi: number, lo: number, access: number): number {
    const pa = this.flatPa(hi, lo, access);
    if (pa < 0) return this.fail(A64FaultKind.AddressSize, 0, hi, lo, access);
    this.lastPerm = -1;
    this.lastLevel = 3;
    this.lastAccess = access;
    return pa;
  }

  private flatPa(hi: number, lo: number, access: number): number {
    const r = this.curEl === 2 ? EL2 : (hi >>> 23) & 1;
    if ((hi & this.flatHi[(r << 1) | (access >>> 1)]) !== 0) return -1;
    // Bits above PAMax are zero (or a TBI tag): the PA is VA[55:0].
    return (hi & 0x00ff_ffff) * TWO32 + lo;
  }

  /** Records a fault in the `fault*` fields; returns -1. */
  private fail(kind: number, level: number, hi: number, lo: number, access: number): number {
    const ec = abortEc(access === Access.Execute, this.curEl);
    const fsc = kind | level;
    const wnr = access === Access.Write;
    this.faultEc = ec;
    this.faultFsc = fsc;
    this.faultKind = kind;
    this.faultLevel = level;
    this.faultEl = this.curEl;
    this.faultWnr = wnr;
    this.faultFarHi = hi;
    this.faultFarLo = lo;
    this.faultEsr = abortEsr(ec, fsc, wnr);
    this.stats.faults++;
    return -1;
  }

  /** A fault record without touching the `fault*` fields. */
  private record(kind: number, level: number, hi: number, lo: number, access: number): A64Fault {
    const ec = abortEc(access === Access.Execute, this.curEl);
    const fsc = kind | level;
    const wnr = access === Access.Write;
    return {
      esr: abortEsr(ec, fsc, wnr),
      far: fromHalves(hi, lo) as VirtAddr,
      ec,
      fsc,
      kind: kind as A64FaultKind,
      level,
      wnr,
      el: this.curEl as 0 | 1 | 2,
    };
  }

  /**
   * The table walk (Arm ARM AArch64.S1Walk; QEMU `get_phys_addr_lpae`). On
   * success returns the PA and leaves the 4 KiB frame, level, perm bits and
   * nG in the scratch fields; on a fault returns -1 with `wKind`/`wLevel`.
   * `debug` makes no write; `steps` (debug only) collects each descriptor.
   */
  private walk(
    hi: number,
    lo: number,
    r: number,
    access: number,
    debug: boolean,
    steps: A64WalkStep[] | undefined,
  ): number {
    return this.walkFrame(hi, lo, r, access, debug, steps) < 0 ? -1 : this.wFrame * 4096 + (lo & 0xfff);
  }

  /** {@link walk} returning 0 on success: a PA above 2^31 returned from a call is a heap number, allocated per miss. */
  private walkFrame(
    hi: number,
    lo: number,
    r: number,
    access: number,
    debug: boolean,
    steps: A64WalkStep[] | undefined,
  ): number {
    if (this.rEpd[r]) return this.stop(A64FaultKind.Translation, 0, WHY_EPD);
    const e2 = r === EL2;
    const thi = r === 0 ? this.r0Hi : r === 1 ? this.r1Hi : this.e2TtbrHi;
    const tlo = r === 0 ? this.r0Lo : r === 1 ? this.r1Lo : this.e2TtbrLo;
    const outFrames = e2 ? this.e2OutFrames : this.outFrames;
    const ha = e2 ? this.e2Ha : this.ha;
    const hd = e2 ? this.e2Hd : this.hd;
    const baddr = (thi & HI_ADDR) * TWO32 + tlo;
    if (baddr >= outFrames * 4096) return this.stop(A64FaultKind.AddressSize, 0, WHY_TTBR_SIZE);
    let level = this.rStart[r];
    const startMask = this.rStartMask[r];
    const tableBytes = (startMask + 1) * 8;
    // BADDR below the table's size is RES0 (and bit 0 is CnP): masked, as QEMU does.
    let table = Math.floor(baddr / tableBytes) * tableBytes; // not `baddr % tableBytes`: `%` on a double is a runtime call
    let tattr = 0; // PXNTable | UXNTable << 1 | APTable << 2, OR-ed down the walk
    const mem = this.mem;
    for (;;) {
      const index = level === this.rStart[r] ? indexAt(hi, lo, level) & startMask : indexAt(hi, lo, level);
      const pa = table + index * 8;
      const pf = Math.floor(pa / 4096);
      const fw = mem.frameWord(pf);
      if (fw < 0) return this.stop(A64FaultKind.ExternalAbortOnWalk, level, WHY_SEA);
      const w = fw + ((pa - pf * 4096) >>> 2); // not `pa % 4096`: a runtime call on a double
      let words = mem.words;
      let dlo = words[w];
      let dhi = words[w + 1];
      if (steps !== undefined) steps.push(step(level, index, pa, dhi, dlo));
      for (;;) {
        if ((dlo & VALID) === 0) return this.stop(A64FaultKind.Translation, level, WHY_INVALID);
        if ((dlo & NOT_BLOCK) === 0) {
          if (level === 3) return this.stop(A64FaultKind.Translation, level, WHY_RESERVED);
          // Manual (DS = 0): no level-0 blocks with the 4 KiB granule. QEMU 7.2 maps 512 GiB here.
          if (level === 0) return this.stop(A64FaultKind.Translation, level, WHY_BLOCK_L0);
        }
        const oa = (dlo >>> 12) + (dhi & HI_ADDR) * 0x10_0000;
        if (oa >= outFrames) return this.stop(A64FaultKind.AddressSize, level, WHY_OA_SIZE);
        if (level < 3 && (dlo & NOT_BLOCK) !== 0) {
          tattr |= (dhi >>> HI_TABLE_SHIFT) & 0xf;
          table = oa * 4096;
          level++;
          break;
        }
        // A block or page: hardware updates go to a copy first.
        let nlo = dlo;
        const perm0 = this.leafPerm(nlo, dhi, tattr, r);
        this.wLeaf = true;
        this.wLeafLo = dlo;
        this.wLeafHi = dhi;
        this.wPerm = perm0;
        this.wNewLo = dlo;
        if ((dlo & AF) === 0) {
          if (!ha) return this.stop(A64FaultKind.AccessFlag, level, WHY_AF);
          nlo = (nlo | AF) >>> 0;
        }
        // Dirty state: a store to a DBM page clears AP[2] before table attributes apply (so APTable[1] still wins).
        if (hd && (dhi & HI_DBM) !== 0 && access === Access.Write) nlo = (nlo & ~AP_RO) >>> 0;
        const perm = nlo === dlo ? perm0 : this.leafPerm(nlo, dhi, tattr, r);
        this.wPerm = perm;
        this.wNewLo = nlo;
        if (((this.permLut[perm & 15] >>> access) & 1) === 0)
          return this.stop(A64FaultKind.Permission, level, WHY_PERM);
        if (nlo !== dlo && !debug && !this.entryCas.swapLo(this.mem.words, w, dlo, dhi, nlo)) {
          // Changed under us: restart on the new value (Arm ARM I_YZSVV).
          words = mem.words;
          dlo = words[w];
          dhi = words[w + 1];
          continue;
        }
        const pages = LEAF_PAGES[level];
        // Block base by division (pages is a power of two), not `oa % pages`: a runtime call on a double.
        const frame =
          level === 3 ? oa : Math.floor(oa / pages) * pages + (level === 2 ? (lo >>> 12) & 511 : (lo >>> 12) & 0x3ffff);
        this.wFrame = frame;
        this.wLevel = level;
        this.wGlobal = e2 || (dlo & NG) === 0;
        return 0;
      }
    }
  }

  /** Perm bits of a leaf: effective AP[1], AP[2], PXN, UXN (bits 0..3, table attributes merged unless HPD), AttrIndx (bits 4..6). */
  private leafPerm(lo: number, hi: number, tattr: number, r: number): number {
    if (r === EL2) {
      // One privilege level: AP[1] (RES1) and PXN, APTable[0] and PXNTable (RES0) play no part.
      let ap2 = (lo >>> 6) & 2;
      let xn = (hi >>> 22) & 1;
      if (this.rHpd[EL2] === 0) {
        xn |= (tattr >>> 1) & 1; // XNTable
        if (tattr & 8) ap2 = 2; // APTable[1]
      }
      return ap2 | (xn << 3) | (((lo >>> 2) & 7) << 4);
    }
    let ap = (lo >>> 6) & 3;
    let pxn = (hi >>> 21) & 1; // PXN, bit 53
    let uxn = (hi >>> 22) & 1; // UXN, bit 54
    if (this.rHpd[r] === 0) {
      pxn |= tattr & 1;
      uxn |= (tattr >>> 1) & 1;
      if (tattr & 4) ap &= 2; // APTable[0]: no EL0 access (AP[1] forced to 0)
      if (tattr & 8) ap |= 2; // APTable[1]: read-only (AP[2] forced to 1)
    }
    return ap | (pxn << 2) | (uxn << 3) | (((lo >>> 2) & 7) << 4);
  }

  private stop(kind: number, level: number, why: number): number {
    this.wKind = kind;
    this.wLevel = level;
    this.wWhy = why;
    return -1;
  }

  private flagsOf(perm: number, ok: number): MappingFlags {
    return rwxFlags(ok) | (perm & 1 ? MappingFlags.USER : 0) | memTypeFlags(this.memAttr((perm >>> 4) & 7));
  }

  /** The attribute byte of a MAIR slot, from MAIR_EL1 or (at EL2) MAIR_EL2. */
  private memAttr(index: number): number {
    const e2 = this.curEl === 2;
    const lo = e2 ? this.e2MairLo : this.mairLo;
    const hi = e2 ? this.e2MairHi : this.mairHi;
    return index < 4 ? (lo >>> (8 * index)) & 0xff : (hi >>> (8 * (index - 4))) & 0xff;
  }

  private why(why: number, level: number, r = 0, access = 0): string {
    const ttbr = r === EL2 ? 'TTBR0_EL2' : `TTBR${r}`;
    switch (why) {
      case WHY_TOP_BITS:
        return `VA bits above the ${this.rInput[r]}-bit input size differ from bit 55 (outside both ranges)`;
      case WHY_TSZ: {
        const tsz = r === EL2 ? this.e2TcrLo & 63 : r ? (this.tcrLo >>> 16) & 63 : this.tcrLo & 63;
        return `${r === EL2 ? 'TCR_EL2.T0SZ' : `T${r}SZ`} is out of range (input size ${64 - tsz} bits)`;
      }
      case WHY_E0PD:
        return `E0PD${r}: EL0 accesses to the ${ttbr} range fault`;
      case WHY_EPD:
        return `EPD${r}: ${ttbr} walks disabled`;
      case WHY_TTBR_SIZE:
        return `${ttbr} base address beyond the ${r === EL2 ? this.e2OutBits : this.outBits}-bit output size`;
      case WHY_INVALID:
        return `invalid descriptor at level ${level}`;
      case WHY_RESERVED:
        return 'reserved descriptor (0b01) at level 3';
      case WHY_BLOCK_L0:
        return 'block descriptor at level 0 (not allowed with the 4 KiB granule)';
      case WHY_OA_SIZE:
        return `address beyond the ${r === EL2 ? this.e2OutBits : this.outBits}-bit output size at level ${level}`;
      case WHY_AF:
        return `access flag clear at level ${level} (${r === EL2 ? 'TCR_EL2' : 'TCR_EL1'}.HA = 0)`;
      case WHY_PERM:
        return `${faultKindName(A64FaultKind.Permission)} at level ${level}: EL${this.curEl} ${access === Access.Execute ? 'fetch' : access === Access.Write ? 'store' : 'load'} not allowed`;
      case WHY_SEA:
        return `table at level ${level} outside physical memory`;
      case WHY_FLAT_SIZE:
        return `MMU off: VA beyond the ${this.paBits}-bit physical address size`;
      default:
        return 'unknown';
    }
  }

  private deriveTcr(): void {
    const lo = this.tcrLo;
    const hi = this.tcrHi;
    for (let r = 0; r < 2; r++) {
      this.deriveRange(
        r,
        r ? (lo >>> 16) & 63 : lo & 63,
        (lo & (r ? TCR_EPD1 : TCR_EPD0)) !== 0,
        (hi & (TCRH_HPD0 << r)) !== 0,
        (hi & (TCRH_E0PD0 << r)) !== 0,
        (hi & (TCRH_TBI0 << r)) !== 0,
        (hi & (TCRH_TBID0 << r)) !== 0,
      );
    }
    this.outBits = this.outputBits(hi & 7);
    this.outFrames = 2 ** (this.outBits - 12);
    this.ha = this.hafdbs && (hi & TCRH_HA) !== 0;
    this.hd = this.ha && (hi & TCRH_HD) !== 0;
    this.asidMask = hi & TCRH_AS ? 0xffff : 0xff;
    this.deriveEarly();
  }

  private deriveTcrEl2(): void {
    const lo = this.e2TcrLo;
    this.deriveRange(EL2, lo & 63, false, (lo & TCR2_HPD) !== 0, false, (lo & TCR2_TBI) !== 0, (lo & TCR2_TBID) !== 0);
    this.e2OutBits = this.outputBits((lo >>> 16) & 7);
    this.e2OutFrames = 2 ** (this.e2OutBits - 12);
    this.e2Ha = this.hafdbs && (lo & TCR2_HA) !== 0;
    this.e2Hd = this.e2Ha && (lo & TCR2_HD) !== 0;
    this.deriveEarly();
  }

  /** The output size of an IPS/PS code: bounded by PARange, and by 48 bits without FEAT_LPA2. */
  private outputBits(ps: number): number {
    return Math.min(PA_SIZES[Math.min(ps, this.parange)], 48);
  }

  /** One range's parameters from its TxSZ, EPD, HPD, E0PD, TBI and TBID. */
  private deriveRange(
    r: number,
    tsz: number,
    epd: boolean,
    hpd: boolean,
    e0pd: boolean,
    tbi: boolean,
    tbid: boolean,
  ): void {
    const maxTsz = this.ttst ? 48 : 39;
    const input = 64 - Math.min(Math.max(tsz, 16), maxTsz);
    const start = 4 - Math.floor((input - 4) / 9);
    this.rInput[r] = input;
    this.rStart[r] = start;
    this.rStartMask[r] = 2 ** (input - (39 - 9 * start)) - 1;
    this.rOob[r] = tsz < 16 || tsz > maxTsz ? 1 : 0;
    this.rEpd[r] = epd ? 1 : 0;
    this.rHpd[r] = hpd ? 1 : 0;
    this.rE0pd[r] = e0pd ? 1 : 0;
    for (let fetch = 0; fetch < 2; fetch++) {
      const top = tbi && !(fetch && tbid) ? 55 : 63;
      // Bits [top:input] must equal VA[55] (TTBR1) or be 0.
      const mask = (2n ** BigInt(top + 1) - 1n) & ~(2n ** BigInt(input) - 1n);
      this.topHi[(r << 1) | fetch] = Number(mask >> 32n) | 0;
      this.topLo[(r << 1) | fetch] = Number(mask & 0xffff_ffffn) | 0;
      // MMU off: bits [top:PAMax] must be zero.
      const flat = (2n ** BigInt(top + 1) - 1n) & ~(2n ** BigInt(this.paBits) - 1n);
      this.flatHi[(r << 1) | fetch] = Number(flat >> 32n);
    }
  }

  private deriveEarly(): void {
    for (let r = 0; r < 3; r++) this.rEarly[r] = this.rOob[r] || (this.rE0pd[r] && this.curEl === 0) ? 1 : 0;
  }

  private deriveSctlr(): void {
    this.mmuOn = (this.sctlrLo & SCTLR_M) !== 0;
    this.wxn = (this.sctlrLo & SCTLR_WXN) !== 0;
    this.e2On = (this.e2SctlrLo & SCTLR_M) !== 0;
    this.e2Wxn = (this.e2SctlrLo & SCTLR_WXN) !== 0;
  }

  private deriveAsid(): void {
    const src = this.tcrLo & TCR_A1 ? this.r1Hi : this.r0Hi;
    this.curAsid = (src >>> 16) & this.asidMask;
  }

  private derivePerms(): void {
    const wxn = this.curEl === 2 ? this.e2Wxn : this.wxn;
    for (let i = 0; i < 16; i++) this.permLut[i] = allowed(i, this.curEl, this.curPan, wxn);
  }
}

function checkEl(el: number): number {
  if (el !== 0 && el !== 1 && el !== 2) throw new RangeError(`aarch64 MMU: el ${String(el)} is not 0, 1 or 2`);
  return el;
}

/** The TLB tag's high word: bits 63..56 replaced by VA[55]. */
function tagHi(hi: number): number {
  return (hi >>> 23) & 1 ? (hi | 0xff00_0000) >>> 0 : hi & 0x00ff_ffff;
}

function rwxFlags(ok: number): MappingFlags {
  return (ok & R ? MappingFlags.READ : 0) | (ok & W ? MappingFlags.WRITE : 0) | (ok & X ? MappingFlags.EXECUTE : 0);
}

function step(level: number, index: number, pa: number, hi: number, lo: number): A64WalkStep {
  const kind =
    (lo & VALID) === 0
      ? 'invalid'
      : (lo & NOT_BLOCK) !== 0
        ? level === 3
          ? 'page'
          : 'table'
        : level === 1 || level === 2
          ? 'block'
          : 'reserved';
  return { level: 3 - level, lookupLevel: level, index, entryPaddr: pa as PhysAddr, entry: bits(hi, lo), kind };
}

/**
 * Decodes the Xt operand of TLBI VAE1, VAAE1, VALE1, VAALE1 (and their IS
 * forms): VA[55:12] in Xt[43:0] (bits 63..56 copied from VA[55]), ASID in
 * Xt[63:48] (RES0 for the all-ASID forms). TTL (Xt[47:44], FEAT_TTL) is a
 * hint and is ignored.
 */
export function tlbiOperand(xt: A64RegValue): {
  /** The page's VA: Xt[43:0] shifted left by 12, bits 63..56 copied from VA[55] so it selects the same range. */
  readonly va: VirtAddr;
  /** The ASID, Xt[63:48] (all 16 bits; the MMU ignores the upper 8 unless TCR_EL1.AS). */
  readonly asid: number;
} {
  const [hi, lo] = toHalves(xt, 'TLBI operand');
  // Xt[43:0] << 12: VA bits 55..12.
  const vhi = (((hi & 0xfff) << 12) | (lo >>> 20)) >>> 0;
  const vlo = (lo << 12) >>> 0;
  return { va: fromHalves(tagHi(vhi), vlo) as VirtAddr, asid: hi >>> 16 };
}
