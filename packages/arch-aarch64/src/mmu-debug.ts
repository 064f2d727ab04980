/**
 * The AArch64 MMU's side-effect-free debug walk: the walk `translate` would
 * make, level by level, with the leaf's effective permissions at every
 * Exception level, the hardware update it would write, and where and why
 * it stopped, in core's shared debug-report shape.
 *
 * @module
 */

import {
  Access,
  type DebugTranslation,
  MappingFlags,
  PageSize,
  sharedReport,
  type TranslateResult,
  vaHalves,
} from '@page-table/core';
import { fromHalves, type PhysAddr, type VirtAddr } from '@page-table/memory-addr';
import { type A64Fault, A64FaultKind, abortFault, faultKindName } from './fault.js';
import { allowed, memTypeFlags, rwxFlags } from './mmu-perms.js';
import { type A64Regime, type A64VaRange, mairAttr } from './mmu-regime.js';
import { a64FaultKindId } from './mmu-report.js';
import { A64WalkState, type A64WalkStep, AF, a64Walk, descriptorBits, HI_DBM, NG, Why } from './mmu-walk.js';

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

/** What the debug walk reads of the MMU: the current regime and EL, PAN, the permission table, the PA size. */
export interface A64DebugContext {
  /** The regime of the current EL. */
  readonly regime: A64Regime;
  /** The current Exception level. */
  readonly el: number;
  /** PSTATE.PAN. */
  readonly pan: boolean;
  /** The permission table of the current EL, PAN and WXN. */
  readonly lut: Uint8Array;
  /** Implemented PA size in bits. */
  readonly paBits: number;
  /** The walk state to use (its memory and compare-and-swap). */
  readonly ws: A64WalkState;
}

/** Every access, and DEVICE for data: what the MMU-off (flat) mapping allows. */
export function flatFlags(access: number): MappingFlags {
  const all = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE | MappingFlags.USER;
  return access === Access.Execute ? all : all | MappingFlags.DEVICE;
}

/** Page size of a leaf of 2^bits bytes (one of the three granules' pages and blocks, D8.2.7). */
export function leafPageSize(bits: number): PageSize {
  return (2 ** bits) as PageSize;
}

/** The flags `translate` reports for perm bits allowed `ok` in regime `g`: R/W/X, USER if EL0 has data access, the memory type. */
export function leafFlags(g: A64Regime, perm: number, ok: number): MappingFlags {
  return rwxFlags(ok) | (perm & 1 ? MappingFlags.USER : 0) | memTypeFlags(mairAttr(g, (perm >>> 4) & 7));
}

/** Whether the VA's bits above the range's input size are all VA[55] (range 1) or all 0 (ranges 0 and 2), TBI aside. */
export function inRange(rg: A64VaRange, hi: number, lo: number, access: number): boolean {
  const fetch = access === Access.Execute;
  const mh = fetch ? rg.topHiX : rg.topHi;
  const ml = fetch ? rg.topLoX : rg.topLo;
  return rg.id === 1 ? (hi & mh) === mh && (lo & ml) === ml : (hi & mh) === 0 && (lo & ml) === 0;
}

function whyText(why: number, level: number, rg: A64VaRange, c: A64DebugContext, access: number): string {
  const e2 = rg.id === 2;
  const ttbr = e2 ? 'TTBR0_EL2' : `TTBR${rg.id}`;
  switch (why) {
    case Why.TopBits:
      return `VA bits above the ${rg.input}-bit input size differ from bit 55 (outside both ranges)`;
    case Why.Tsz:
      return `${e2 ? 'TCR_EL2.T0SZ' : `T${rg.id}SZ`} is out of range (input size ${64 - rg.tsz} bits)`;
    case Why.E0pd:
      return `E0PD${rg.id}: EL0 accesses to the ${ttbr} range fault`;
    case Why.Epd:
      return `EPD${rg.id}: ${ttbr} walks disabled`;
    case Why.TtbrSize:
      return `${ttbr} base address beyond the ${c.regime.outBits}-bit output size`;
    case Why.Invalid:
      return `invalid descriptor at level ${level}`;
    case Why.Reserved:
      return 'reserved descriptor (0b01) at level 3';
    case Why.BlockLevel:
      return `block descriptor at level ${level} (not allowed with the ${2 ** (rg.granule - 10)} KiB granule)`;
    case Why.OaSize:
      return `address beyond the ${c.regime.outBits}-bit output size at level ${level}`;
    case Why.Af:
      return `access flag clear at level ${level} (${e2 ? 'TCR_EL2' : 'TCR_EL1'}.HA = 0)`;
    case Why.Perm:
      return `${faultKindName(A64FaultKind.Permission)} at level ${level}: EL${c.el} ${access === Access.Execute ? 'fetch' : access === Access.Write ? 'store' : 'load'} not allowed`;
    case Why.Sea:
      return `table at level ${level} outside physical memory`;
    default:
      return 'unknown';
  }
}

/** With the MMU off: the PA of VA (hi, lo), or -1 when bits above PAMax (TBI aside) are set. */
export function flatPa(rg: A64VaRange, hi: number, lo: number, access: number): number {
  if ((hi & (access === Access.Execute ? rg.flatHiX : rg.flatHi)) !== 0) return -1;
  // Bits above PAMax are zero (or a TBI tag): the PA is VA[55:0].
  return (hi & 0x00ff_ffff) * 4294967296 + lo;
}

type Report = Omit<A64DebugTranslation, 'access' | 'updates'>;

function fault(
  c: A64DebugContext,
  kind: number,
  level: number,
  hi: number,
  lo: number,
  access: number,
): { fault: A64Fault } {
  return { fault: abortFault(kind, level, hi, lo, access === Access.Execute, access === Access.Write, c.el) };
}

function leafInfo(c: A64DebugContext, s: A64WalkState, ok: boolean): A64LeafInfo {
  const g = c.regime;
  const e2 = g.el2;
  const llo = s.leafLo;
  const lhi = s.leafHi;
  const perm = s.perm;
  const attrIndx = (perm >>> 4) & 7;
  const mem = mairAttr(g, attrIndx);
  const type = memTypeFlags(mem);
  const user = perm & 1 ? MappingFlags.USER : 0;
  return {
    descriptor: descriptorBits(lhi, llo),
    ...(s.newLo !== llo && ok ? { update: descriptorBits(lhi, s.newLo) } : {}),
    ap: perm & 3,
    pxn: (perm & 4) !== 0,
    uxn: (perm & 8) !== 0,
    af: (llo & AF) !== 0,
    dbm: (lhi & HI_DBM) !== 0,
    global: e2 || (llo & NG) === 0,
    attrIndx,
    memAttr: mem,
    el0: e2 ? 0 : rwxFlags(allowed(perm & 15, 0, false, g.wxn)) | user | type,
    el1: e2 ? 0 : rwxFlags(allowed(perm & 15, 1, c.pan, g.wxn)) | user | type,
    ...(e2 ? { el2: rwxFlags(allowed(perm & 15, 2, false, g.wxn)) | type } : {}),
  };
}

function report(c: A64DebugContext, hi: number, lo: number, access: number, s: A64WalkState): Report {
  const g = c.regime;
  const steps: A64WalkStep[] = [];
  const rg = (hi & 0x80_0000) !== 0 ? g.upper : g.lower;
  const head = { va: fromHalves(hi, lo) as VirtAddr, regime: g.el2 ? ('EL2' as const) : ('EL1&0' as const), steps };
  const top = g.el2 ? head : { ...head, asid: g.asid };
  if (!g.on) {
    const pa = flatPa(rg, hi, lo, access);
    if (pa < 0)
      return {
        ...top,
        result: fault(c, A64FaultKind.AddressSize, 0, hi, lo, access),
        stop: `MMU off: VA beyond the ${c.paBits}-bit physical address size`,
      };
    return { ...top, result: { paddr: pa as PhysAddr, size: PageSize.Size4K, flags: flatFlags(access) } };
  }
  const base = { ...top, ttbr: (rg.id & 1) as 0 | 1, inputSize: rg.input, startLevel: rg.start };
  const why = !inRange(rg, hi, lo, access)
    ? Why.TopBits
    : rg.oob
      ? Why.Tsz
      : rg.e0pd && c.el === 0
        ? Why.E0pd
        : Why.None;
  if (why !== Why.None)
    return {
      ...base,
      result: fault(c, A64FaultKind.Translation, 0, hi, lo, access),
      stop: whyText(why, 0, rg, c, access),
    };
  s.leaf = false;
  const ok = a64Walk(s, g, rg, c.lut, hi, lo, access, true, steps) === 0;
  const leaf = s.leaf ? { leaf: leafInfo(c, s, ok) } : {};
  if (!ok)
    return {
      ...base,
      ...leaf,
      result: fault(c, s.kind, s.level, hi, lo, access),
      stop: whyText(s.why, s.level, rg, c, access),
    };
  const result: TranslateResult<A64Fault> = {
    paddr: (s.frame * 4096 + (lo & 0xfff)) as PhysAddr,
    size: leafPageSize(s.bits),
    flags: leafFlags(g, s.perm, c.lut[s.perm & 15]),
  };
  return { ...base, ...leaf, result };
}

/** The debug walk of `va` for `access` (see `A64Mmu.debugTranslate`): no write, no TLB, no counter touched. */
export function a64DebugTranslate(c: A64DebugContext, va: unknown, access: Access): A64DebugTranslation {
  const [hi, lo] = vaHalves(va, 'aarch64 MMU');
  // A walk state of its own: the MMU's scratch state stays as the last translation left it.
  const s = new A64WalkState(c.ws.mem, c.ws.cas);
  const d = report(c, hi, lo, access, s);
  const f = d.result.fault;
  const leaf = d.leaf;
  const permissions =
    f === undefined
      ? d.result.flags
      : leaf === undefined
        ? undefined
        : c.el === 0
          ? leaf.el0
          : c.el === 1
            ? leaf.el1
            : leaf.el2;
  const last = d.steps.at(-1);
  const updates =
    leaf?.update === undefined || last === undefined
      ? []
      : [{ level: last.level, entryPaddr: last.entryPaddr, before: leaf.descriptor, after: leaf.update }];
  const size = leaf === undefined ? (f === undefined ? d.result.size : undefined) : 2 ** s.bits;
  const stop =
    f === undefined ? {} : { stopLevel: last === undefined ? -1 : last.level, stopReason: a64FaultKindId(f.kind) };
  return sharedReport({
    ...d,
    ...(permissions === undefined ? {} : { permissions }),
    ...(size === undefined ? {} : { leafSize: size }),
    access,
    updates,
    ...stop,
  });
}
