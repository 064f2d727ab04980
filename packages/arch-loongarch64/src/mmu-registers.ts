/**
 * The LoongArch64 MMU's CSRs: CRMD, PGDL, PGDH, PWCL, PWCH, ASID, DMW0..3,
 * STLBPS and MISC as the guest writes them (CSRWR), held as one immutable
 * configuration decoded from them (`decodeLA64Config`, rebuilt by every
 * setter), with each write's TLB effects (LoongArch Reference Manual Vol. 1
 * v1.10, "Control and Status Registers": "Current Mode Information", "Page
 * Global Directory", "Page Walk Controller", "Address Space Identifier",
 * "Direct Mapped Configuration Window", "STLB Page Size", "Miscellaneous
 * Controller").
 *
 * @module
 */

import { createSoftTlb, type PhysMemory, type SoftTlb } from '@page-table/core';
import type { AddrLike } from '@page-table/memory-addr';
import { decodeLA64Config, type LA64MmuConfig, type LA64RawRegisters } from './mmu-config.js';
import { layoutProblem } from './refill.js';
import { PWCH_4LEVEL, PWCL_4LEVEL, reg64 } from './registers.js';
import { type LA64TlbGeometry, La64Tlb } from './tlb.js';
import { LA64TlbInstructions } from './tlb-invalidate.js';

/**
 * What an `LA64Mmu` is built from: the CPU's CSRs as raw values (numbers or
 * bigints), named as in the manual, plus the model's own options. An
 * omitted CSR takes its reset value where the manual defines one.
 */
export interface LA64MmuOptions extends LA64TlbGeometry {
  /** CRMD: PLV (1:0), DA (3), PG (4), DATF (6:5), DATM (8:7). Reset 0x8: DA=1, PG=0 (direct address translation). */
  crmd?: AddrLike;
  /** PGDL: root table for VAs with bit 63 = 0 (bits 11:0 ignored). Default 0. */
  pgdl?: AddrLike;
  /** PGDH: root table for VAs with bit 63 = 1. Default 0. */
  pgdh?: AddrLike;
  /** PWCL: PTbase, PTwidth, Dir1/Dir2 base and width, PTEWidth. No reset value; default `PWCL_4LEVEL`. */
  pwcl?: AddrLike;
  /** PWCH: Dir3/Dir4 base and width. No reset value; default `PWCH_4LEVEL`. */
  pwch?: AddrLike;
  /** ASID: bits 9:0 are the current ASID. Default 0. */
  asid?: AddrLike;
  /** DMW0: PLV0..3 enables (3:0), MAT (5:4), VSEG (63:60); fetch and data. Reset: no PLV enabled. */
  dmw0?: AddrLike;
  /** DMW1: as DMW0. */
  dmw1?: AddrLike;
  /** DMW2: as DMW0, data accesses only. */
  dmw2?: AddrLike;
  /** DMW3: as DMW2. */
  dmw3?: AddrLike;
  /** STLBPS: PS (5:0), the page size of the STLB. No reset value; default PWCL.PTbase (what Linux programs). */
  stlbps?: AddrLike;
  /** MISC: DWPL0..2 (bits 16..18) disable the D-bit store check at PLV0..2. Default 0. */
  misc?: AddrLike;
  /**
   * Whether a TLB miss is served by the MMU walking the tables (LDDIR at
   * every directory level, LDPTE 0/1, TLBFILL — Linux's refill handler),
   * or returned as a `{ refill: true }` fault for the guest's own handler.
   * Default true.
   */
  ptw?: boolean;
  /** PALEN, physical address bits (33..48). Default 48. */
  palen?: number;
  /** VALEN, virtual address bits (33..48). Default 48. */
  valen?: number;
  /**
   * Entries of the software TLB in front of the architectural TLB: a power
   * of two, or 0 for none (every access searches the architectural TLB).
   * Default 1024.
   */
  tlbEntries?: number;
  /** @deprecated The old name of {@link tlbEntries} (same meaning); used when `tlbEntries` is not given. */
  softTlbEntries?: number;
}

/** The CSRs an `LA64Mmu` holds, as it reads them back (64-bit ones as bigints). */
export interface LA64MmuRegisters {
  /** CRMD. */
  readonly crmd: number;
  /** PGDL (bits 11:0 read 0). */
  readonly pgdl: bigint;
  /** PGDH (bits 11:0 read 0). */
  readonly pgdh: bigint;
  /** PWCL. */
  readonly pwcl: number;
  /** PWCH. */
  readonly pwch: number;
  /** ASID.ASID. */
  readonly asid: number;
  /** DMW0..3. */
  readonly dmw: readonly [bigint, bigint, bigint, bigint];
  /** STLBPS.PS. */
  readonly stlbps: number;
  /** MISC. */
  readonly misc: number;
}

const CRMD_DA = 1 << 3;

function checkWidth(name: string, v: number | undefined): number {
  const x = v ?? 48;
  if (!Number.isInteger(x) || x < 33 || x > 48)
    throw new RangeError(`loongarch64: ${name} must be an integer in 33..48, got ${x}`);
  return x;
}

/** A 64-bit CSR value from its unsigned 32-bit halves. */
export function big(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The `RangeError` of a PWCL/PWCH layout this model cannot walk. */
export function unsupportedLayout(layout: string): RangeError {
  return new RangeError(`loongarch64: unsupported page-walk layout: ${layout}`);
}

/**
 * The CSR file of an `LA64Mmu` (its base class): the registers, decoded
 * into {@link cfg}, and the TLBs their writes act on. Not used alone.
 */
export class LA64MmuRegisterFile {
  /** The guest's physical memory. */
  readonly mem: PhysMemory;
  /** PALEN. */
  readonly palen: number;
  /** VALEN. */
  readonly valen: number;
  /** What the CSRs mean for translation; replaced (never changed) by every CSR write. @hidden */
  protected cfg: LA64MmuConfig;
  /** The architectural TLB (STLB + MTLB). @hidden */
  protected readonly tlb: La64Tlb;
  /** The software TLB of 4 KiB pages in front of it. @hidden */
  protected readonly soft: SoftTlb;
  /** The TLB maintenance instructions over both. @hidden */
  protected readonly ops: LA64TlbInstructions;

  /** Decodes the CSRs of `options`; throws `RangeError` for a value out of range or a walk layout it does not support. */
  constructor(mem: PhysMemory, options: LA64MmuOptions) {
    this.mem = mem;
    this.palen = checkWidth('palen', options.palen);
    this.valen = checkWidth('valen', options.valen);
    this.tlb = new La64Tlb(options, this.palen);
    this.soft = createSoftTlb(options.tlbEntries ?? options.softTlbEntries ?? 1024, 'loongarch64 MMU');
    this.ops = new LA64TlbInstructions(this.tlb, this.soft, this.valen);
    const pwcl = reg64(options.pwcl ?? PWCL_4LEVEL, 'pwcl')[1];
    const pwch = reg64(options.pwch ?? PWCH_4LEVEL, 'pwch')[1];
    const layout = layoutProblem(pwcl, pwch);
    if (typeof layout === 'string') throw unsupportedLayout(layout);
    this.tlb.stlbps = options.stlbps === undefined ? layout.ptBase : reg64(options.stlbps, 'stlbps')[1] & 0x3f;
    const crmd = reg64(options.crmd ?? CRMD_DA, 'crmd')[1];
    const [pgdlHi, pgdlLo] = reg64(options.pgdl ?? 0, 'pgdl');
    const [pgdhHi, pgdhLo] = reg64(options.pgdh ?? 0, 'pgdh');
    const asid = reg64(options.asid ?? 0, 'asid')[1] & 0x3ff;
    const dmw = [options.dmw0, options.dmw1, options.dmw2, options.dmw3].map((x, n) => reg64(x ?? 0, `dmw${n}`));
    const misc = reg64(options.misc ?? 0, 'misc')[1];
    this.cfg = decodeLA64Config({
      crmd,
      pgdlHi,
      pgdlLo: (pgdlLo & 0xffff_f000) >>> 0,
      pgdhHi,
      pgdhLo: (pgdhLo & 0xffff_f000) >>> 0,
      pwcl,
      pwch,
      asid,
      dmwHi: dmw.map((h) => h[0]),
      dmwLo: dmw.map((h) => h[1]),
      misc,
    });
  }

  // ------------------------------------------------------------ registers
  // Each setter is the guest's CSRWR of that register, with its TLB effects; the configuration is rebuilt.
  // Values are 64-bit (a negative number or bigint is taken as two's complement); anything else throws `RangeError`.

  private write(patch: Partial<LA64RawRegisters>): void {
    this.cfg = decodeLA64Config({ ...this.cfg.raw, ...patch }, this.cfg);
  }

  /** CRMD: PLV (1:0), DA (3), PG (4), DATF (6:5), DATM (8:7). */
  get crmd(): number {
    return this.cfg.raw.crmd;
  }
  /** CRMD written: PLV, DA/PG and DATF/DATM take effect at once; nothing is flushed (the manual does not flush either, and TLB hits re-check the PLV). */
  set crmd(value: AddrLike) {
    this.write({ crmd: reg64(value, 'crmd')[1] });
  }

  /** PGDL, the root for VAs with bit 63 = 0 (bits 11:0 read 0). */
  get pgdl(): bigint {
    return big(this.cfg.raw.pgdlHi, this.cfg.raw.pgdlLo);
  }
  /** PGDL written: used by the next refill walk; nothing is flushed (TLB entries already filled stay until INVTLB). */
  set pgdl(value: AddrLike) {
    const [hi, lo] = reg64(value, 'pgdl');
    this.write({ pgdlHi: hi, pgdlLo: (lo & 0xffff_f000) >>> 0 });
  }

  /** PGDH, the root for VAs with bit 63 = 1 (bits 11:0 read 0). */
  get pgdh(): bigint {
    return big(this.cfg.raw.pgdhHi, this.cfg.raw.pgdhLo);
  }
  /** PGDH written: as {@link pgdl}, nothing is flushed. */
  set pgdh(value: AddrLike) {
    const [hi, lo] = reg64(value, 'pgdh');
    this.write({ pgdhHi: hi, pgdhLo: (lo & 0xffff_f000) >>> 0 });
  }

  /** PWCL: PTbase, PTwidth, Dir1/Dir2 base and width, PTEWidth. */
  get pwcl(): number {
    return this.cfg.raw.pwcl;
  }
  /**
   * PWCL written; nothing is flushed. Any value is accepted, as by the CSR
   * (a guest writes PWCL and PWCH one at a time); if the pair is a layout
   * this model cannot walk (see `la64WalkLayout`), the next walk, LDDIR or
   * LDPTE throws a `RangeError` saying why. {@link setPwc} checks at once.
   */
  set pwcl(value: AddrLike) {
    this.write({ pwcl: reg64(value, 'pwcl')[1] });
  }

  /** PWCH: Dir3/Dir4 base and width. */
  get pwch(): number {
    return this.cfg.raw.pwch;
  }
  /** PWCH written; as {@link pwcl}, nothing is flushed and the layout is checked by the next walk. */
  set pwch(value: AddrLike) {
    this.write({ pwch: reg64(value, 'pwch')[1] });
  }

  /** PWCL and PWCH together; throws `RangeError` (changing nothing) for a layout this model cannot walk. Nothing is flushed. */
  setPwc(pwcl: AddrLike, pwch: AddrLike): void {
    const l = reg64(pwcl, 'pwcl')[1];
    const h = reg64(pwch, 'pwch')[1];
    const layout = layoutProblem(l, h);
    if (typeof layout === 'string') throw unsupportedLayout(layout);
    this.write({ pwcl: l, pwch: h });
  }

  /** ASID.ASID (bits 9:0): the current address space. */
  get asid(): number {
    return this.cfg.asid;
  }
  /** ASID written: bits 9:0 select the address space; TLB entries are ASID-tagged, so nothing is flushed. */
  set asid(value: AddrLike) {
    this.write({ asid: reg64(value, 'asid')[1] & 0x3ff });
  }

  /** DMW0: PLV0..3 enables (3:0), MAT (5:4), VSEG (63:60); a window for fetches and data. */
  get dmw0(): bigint {
    return this.readDmw(0);
  }
  /** DMW0 written: takes effect at once; windows are not cached in the TLB, so nothing is flushed. */
  set dmw0(value: AddrLike) {
    this.writeDmw(0, value);
  }

  /** DMW1: as {@link dmw0}. */
  get dmw1(): bigint {
    return this.readDmw(1);
  }
  /** DMW1 written: as {@link dmw0}, nothing is flushed. */
  set dmw1(value: AddrLike) {
    this.writeDmw(1, value);
  }

  /** DMW2: as {@link dmw0}, for data accesses only. */
  get dmw2(): bigint {
    return this.readDmw(2);
  }
  /** DMW2 written: as {@link dmw0}, nothing is flushed. */
  set dmw2(value: AddrLike) {
    this.writeDmw(2, value);
  }

  /** DMW3: as {@link dmw2}. */
  get dmw3(): bigint {
    return this.readDmw(3);
  }
  /** DMW3 written: as {@link dmw0}, nothing is flushed. */
  set dmw3(value: AddrLike) {
    this.writeDmw(3, value);
  }

  private readDmw(n: number): bigint {
    return big(this.cfg.raw.dmwHi[n], this.cfg.raw.dmwLo[n]);
  }

  private writeDmw(n: number, value: AddrLike): void {
    const [hi, lo] = reg64(value, `dmw${n}`);
    const raw = this.cfg.raw;
    this.write({
      dmwHi: raw.dmwHi.map((x, i) => (i === n ? hi : x)),
      dmwLo: raw.dmwLo.map((x, i) => (i === n ? lo : x)),
    });
  }

  /** STLBPS.PS (5:0): the page size of the STLB. */
  get stlbps(): number {
    return this.tlb.stlbps;
  }
  /**
   * STLBPS written. A new page size invalidates the whole STLB and the
   * software TLB (STLB entries were placed for the old size; the manual
   * expects software to flush it); the same size flushes nothing.
   */
  set stlbps(value: AddrLike) {
    this.ops.setStlbps(reg64(value, 'stlbps')[1] & 0x3f);
  }

  /** MISC: DWPL0..2 (bits 16..18) disable the D-bit store check at PLV0..2. */
  get misc(): number {
    return this.cfg.raw.misc;
  }
  /** MISC written: DWPL0..2 take effect at once (TLB hits re-check them), so nothing is flushed. */
  set misc(value: AddrLike) {
    this.write({ misc: reg64(value, 'misc')[1] });
  }

  /** The CSRs as the MMU holds them. */
  get registers(): LA64MmuRegisters {
    const r = this.cfg.raw;
    const dmw = [0, 1, 2, 3].map((i) => big(r.dmwHi[i], r.dmwLo[i]));
    return {
      crmd: r.crmd,
      pgdl: this.pgdl,
      pgdh: this.pgdh,
      pwcl: r.pwcl,
      pwch: r.pwch,
      asid: r.asid,
      dmw: dmw as unknown as readonly [bigint, bigint, bigint, bigint],
      stlbps: this.tlb.stlbps,
      misc: r.misc,
    };
  }

  /** CSR.PGD for a refill of `badv`: PGDH when its bit 63 is 1, else PGDL. */
  pgd(badv: AddrLike): bigint {
    return reg64(badv, 'badv')[0] >>> 31 ? this.pgdh : this.pgdl;
  }
}
