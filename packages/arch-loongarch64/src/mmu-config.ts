/**
 * The LoongArch64 MMU's register decoder: the raw CSR values (CRMD, PGDL,
 * PGDH, PWCL, PWCH, ASID, DMW0..3, MISC) turned into one immutable
 * configuration of the translation they select (LoongArch Reference Manual
 * Vol. 1, "Virtual Address Space and Address Translation Mode", "Direct
 * Mapped Address Translation Mode", "Page Walk Controller"), rebuilt
 * whenever a CSR is written. STLBPS is not here: it shapes the TLB itself.
 *
 * @module
 */

import { MappingFlags } from '@page-table/core';
import { buildLA64Rights, type LA64Rights, matFlags } from './mmu-rights.js';
import { type LA64WalkLayout, layoutProblem } from './refill.js';

const CRMD_DA = 1 << 3;
const CRMD_PG = 1 << 4;
const RWX = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;

/** The CSRs the decoder reads, 64-bit ones as unsigned 32-bit halves. */
export interface LA64RawRegisters {
  /** CRMD (low word). */
  readonly crmd: number;
  /** PGDL, high and low halves (bits 11:0 already cleared). */
  readonly pgdlHi: number;
  /** See {@link pgdlHi}. */
  readonly pgdlLo: number;
  /** PGDH, high and low halves (bits 11:0 already cleared). */
  readonly pgdhHi: number;
  /** See {@link pgdhHi}. */
  readonly pgdhLo: number;
  /** PWCL (low word). */
  readonly pwcl: number;
  /** PWCH (low word). */
  readonly pwch: number;
  /** ASID.ASID (bits 9:0). */
  readonly asid: number;
  /** DMW0..3, high halves. */
  readonly dmwHi: readonly number[];
  /** DMW0..3, low halves. */
  readonly dmwLo: readonly number[];
  /** MISC (low word). */
  readonly misc: number;
}

/** What a CSR state means for translation; never changed once built. */
export interface LA64MmuConfig {
  /** The registers it was decoded from. */
  readonly raw: LA64RawRegisters;
  /** CRMD.PLV. */
  readonly plv: number;
  /** Direct address translation: CRMD.DA = 1 and PG = 0 (the undefined DA/PG combinations are mapped, as QEMU). */
  readonly direct: boolean;
  /** Flags of direct translation per access kind (read, write: DATM; fetch: DATF). */
  readonly directFlags: readonly number[];
  /** The walk layout of PWCL/PWCH, or why this model cannot walk it. */
  readonly layout: LA64WalkLayout | string;
  /** ASID.ASID. */
  readonly asid: number;
  /** DMWn.VSEG (VA bits 63:60 the window matches). */
  readonly dmwVseg: readonly number[];
  /** DMWn PLV0..3 enables (bits 3:0). */
  readonly dmwPlv: readonly number[];
  /** Flags of a translation through DMWn. */
  readonly dmwFlags: readonly number[];
  /** Whether any window is enabled at any PLV. */
  readonly dmwOn: boolean;
  /** The permission table of CRMD.PLV and MISC.DWPL. */
  readonly rights: LA64Rights;
}

function dmwFlags(n: number, lo: number): number {
  return (
    MappingFlags.READ |
    MappingFlags.WRITE |
    (n < 2 ? MappingFlags.EXECUTE : 0) |
    (lo & 8 ? MappingFlags.USER : 0) |
    matFlags((lo >>> 4) & 3)
  );
}

/**
 * Decodes a CSR state. `prev`, the configuration being replaced, lets the
 * parts whose inputs did not change (the permission table, the layout) be
 * reused: an ASID write on a context switch rebuilds no table.
 */
export function decodeLA64Config(raw: LA64RawRegisters, prev?: LA64MmuConfig): LA64MmuConfig {
  const v = raw.crmd;
  const plv = v & 3;
  const datf = (v >>> 5) & 3;
  const datm = (v >>> 7) & 3;
  const dmwPlv = raw.dmwLo.map((lo) => lo & 0xf);
  const p = prev?.raw;
  return Object.freeze({
    raw: Object.freeze({ ...raw }),
    plv,
    direct: (v & CRMD_DA) !== 0 && (v & CRMD_PG) === 0,
    directFlags: Object.freeze([RWX | matFlags(datm), RWX | matFlags(datm), RWX | matFlags(datf)]),
    layout:
      prev !== undefined && p?.pwcl === raw.pwcl && p.pwch === raw.pwch
        ? prev.layout
        : layoutProblem(raw.pwcl, raw.pwch),
    asid: raw.asid,
    dmwVseg: Object.freeze(raw.dmwHi.map((hi) => hi >>> 28)),
    dmwPlv: Object.freeze(dmwPlv),
    dmwFlags: Object.freeze(raw.dmwLo.map((lo, n) => dmwFlags(n, lo))),
    dmwOn: dmwPlv.some((x) => x !== 0),
    rights:
      prev !== undefined && prev.plv === plv && p?.misc === raw.misc ? prev.rights : buildLA64Rights(plv, raw.misc),
  });
}

/** The direct-mapped window that translates VA[63:32] `hi` for access kind `access` at the current PLV, or -1. */
export function dmwIndex(cfg: LA64MmuConfig, hi: number, access: number): number {
  const seg = hi >>> 28;
  const bit = 1 << cfg.plv;
  const n = access === 2 ? 2 : 4;
  for (let i = 0; i < n; i++) if ((cfg.dmwPlv[i] & bit) !== 0 && cfg.dmwVseg[i] === seg) return i;
  return -1;
}

/** The walk layout, or the `RangeError` of an unsupported one. */
export function layoutOrThrow(cfg: LA64MmuConfig): LA64WalkLayout {
  const l = cfg.layout;
  if (typeof l === 'string') throw new RangeError(`loongarch64: unsupported page-walk layout: ${l}`);
  return l;
}
