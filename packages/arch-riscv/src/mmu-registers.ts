/**
 * The RISC-V MMU's registers as the guest sees them: the CSR reads and
 * writes (`satp`, `mstatus`, `sstatus`, `menvcfg`) and privilege changes,
 * each legalized (WARL) and turned by the decoder into a new immutable
 * {@link RiscvMmuConfig}, with the TLB effect the privileged spec gives the
 * write ("Supervisor Address Translation and Protection (satp) Register",
 * "Memory Privilege in mstatus Register", the Svadu and Svpbmt chapters).
 *
 * @module
 */

import { createSoftTlb, registerHalves, type SoftTlb } from '@page-table/core';
import type { SvMode } from './metadata.js';
import {
  decodeRiscvConfig,
  legalMstatusLo,
  legalSatp,
  MAX_MODE,
  MENVCFG_ADUE_HI,
  MENVCFG_PBMTE_HI,
  type RiscvHart,
  type RiscvMmuConfig,
  type RiscvPhysCheck,
  type RiscvPriv,
  type RiscvRawRegisters,
  SSTATUS_HI,
  SSTATUS_LO,
} from './mmu-config.js';

/** The CPU state an {@link RiscvMmu} starts from: raw CSR values named as in the privileged spec. */
export interface RiscvMmuOptions {
  /**
   * XLEN: 64 (default, RV64: Sv39, Sv48, Sv57) or 32 (RV32: Sv32, 32-bit
   * `satp`, `mstatus` and VAs; no Svpbmt, no Svnapot, ASIDLEN up to 9).
   */
  xlen?: 32 | 64;
  /**
   * `satp`: RV64 MODE [63:60] (0 Bare, 8 Sv39, 9 Sv48, 10 Sv57), ASID
   * [59:44], PPN [43:0]; RV32 MODE [31] (0 Bare, 1 Sv32), ASID [30:22], PPN
   * [21:0]. Default 0 (Bare).
   */
  satp?: number | bigint;
  /** `mstatus`: MPP [12:11], MPRV [17], SUM [18], MXR [19]; other bits are kept but unused (32 bits on RV32). Default 0. */
  mstatus?: number | bigint;
  /** Current privilege: 0 U, 1 S, 3 M. Default 3 (M, the reset privilege). */
  priv?: RiscvPriv;
  /**
   * Hardware A/D updating: Svadu implemented and `menvcfg.ADUE` = 1 (what
   * QEMU 7.2 always does). `false` (default): Svade, a page fault when
   * A = 0 or a store finds D = 0.
   */
  svadu?: boolean;
  /** Svpbmt implemented and `menvcfg.PBMTE` = 1: PTE bits 62:61 are a memory type. Default false (they are reserved). */
  svpbmt?: boolean;
  /** Svnapot implemented: N = 1 leaves map 64 KiB NAPOT ranges. Default false (bit 63 is reserved). */
  svnapot?: boolean;
  /** The widest mode `satp` accepts (a hart with Sv48 has Sv39, with Sv57 both). Default `Sv57`; RV64 only. */
  maxMode?: SvMode;
  /** ASIDLEN: implemented ASID bits, 0..16 (0..9 on RV32; higher `satp.ASID` bits read as zero). Default 16 (9 on RV32). */
  asidBits?: number;
  /** PMP and PMA checks of physical accesses (see {@link RiscvPhysCheck}). Default: every PA below 2^53 is allowed. */
  pmp?: RiscvPhysCheck;
  /** Software-TLB entries, a power of two. Default 256. */
  tlbEntries?: number;
}

function hex(x: number | bigint): string {
  return `0x${x.toString(16)}`;
}

function big(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * The CSR state of an {@link RiscvMmu}: the hart's fixed facts, the decoded
 * configuration of the current registers (replaced, never changed, by each
 * setter) and the TLB the setters flush.
 */
export class RiscvMmuRegisters {
  /** What the hart implements (modes, ASIDLEN, Svnapot, PMP). @hidden */
  protected readonly hart: RiscvHart;
  /** The ASID-tagged software TLB. @hidden */
  protected readonly tlb: SoftTlb;
  /** The registers, decoded; replaced (never changed) by each setter. @hidden */
  protected cfg: RiscvMmuConfig;
  /** Whether the TLB may hold pages of 512 GiB / 256 TiB leaves (see `sfenceVmaVa`). @hidden */
  protected bigCached = false;

  /** The registers of `options`; throws `RangeError` for a value no hart can hold. */
  constructor(options: RiscvMmuOptions) {
    this.tlb = createSoftTlb(options.tlbEntries, 'RiscvMmu');
    const xlen = options.xlen ?? 64;
    if (xlen !== 32 && xlen !== 64) throw new RangeError(`RiscvMmu: xlen ${String(xlen)} is not 32 or 64`);
    const rv32 = xlen === 32;
    if (rv32) {
      // Svpbmt and Svnapot are RV64-only (Sv32 PTEs have no bits for them); RV32 has Sv32 only.
      for (const k of ['maxMode', 'svpbmt', 'svnapot'] as const) {
        if (options[k] !== undefined && options[k] !== false)
          throw new RangeError(`RiscvMmu: ${k} does not apply to an RV32 hart (xlen: 32)`);
      }
    }
    const maxMode = options.maxMode ?? 'Sv57';
    if (!(maxMode in MAX_MODE)) throw new RangeError(`RiscvMmu: unknown maxMode ${String(maxMode)}`);
    const asidMax = rv32 ? 9 : 16;
    const asidBits = options.asidBits ?? asidMax;
    if (!Number.isInteger(asidBits) || asidBits < 0 || asidBits > asidMax)
      throw new RangeError(`RiscvMmu: asidBits ${asidBits} is outside 0..${asidMax}`);
    this.hart = Object.freeze({
      xlen,
      maxMode: rv32 ? 1 : MAX_MODE[maxMode],
      asidMask: (1 << asidBits) - 1,
      svnapot: options.svnapot === true,
      pmp: options.pmp,
    });
    const [hi, lo] = this.csr(options.satp ?? 0, 'satp');
    const s = legalSatp(this.hart, hi, lo);
    if (s === undefined) {
      throw new RangeError(`RiscvMmu: satp ${hex(options.satp ?? 0)} selects a MODE this hart does not implement`);
    }
    this.cfg = decodeRiscvConfig({
      xlen,
      satpHi: s[0],
      satpLo: s[1],
      mstatusHi: 0,
      mstatusLo: 0,
      priv: 3,
      svadu: options.svadu === true,
      svpbmt: options.svpbmt === true,
    });
    this.mstatus = options.mstatus ?? 0;
    this.priv = options.priv ?? 3;
  }

  /** Replaces the configuration with the decoding of the current registers changed by `change`. */
  private write(change: Partial<RiscvRawRegisters>): void {
    const c = this.cfg;
    this.cfg = decodeRiscvConfig({
      xlen: c.xlen,
      satpHi: change.satpHi ?? c.satpHi,
      satpLo: change.satpLo ?? c.satpLo,
      mstatusHi: change.mstatusHi ?? c.mstatusHi,
      mstatusLo: change.mstatusLo ?? c.mstatusLo,
      priv: change.priv ?? c.priv,
      svadu: change.svadu ?? c.svadu,
      svpbmt: change.svpbmt ?? c.svpbmt,
    });
  }

  /** A CSR value as halves: an XLEN-bit integer (`RangeError` otherwise; on RV32 the high half must be 0). @hidden */
  protected csr(value: number | bigint, name: string): readonly [number, number] {
    const h = registerHalves(value, 'RiscvMmu', name);
    if (this.hart.xlen === 32 && h[0] !== 0)
      throw new RangeError(`RiscvMmu: ${name} ${hex(value)} does not fit an RV32 hart's 32-bit CSR`);
    return h;
  }

  /** Drops every cached translation (an SFENCE.VMA x0, x0), e.g. after guest RAM was restored from a snapshot. */
  flushAll(): void {
    this.tlb.flushAll();
    this.bigCached = false;
  }

  // Each setter is the guest's CSR write, with its TLB effects.

  /** `satp` as it reads back: MODE [63:60], ASID [59:44] (legalized to ASIDLEN bits), PPN [43:0]. */
  get satp(): bigint {
    return big(this.cfg.satpHi, this.cfg.satpLo);
  }
  /**
   * CSRW satp. As the spec's WARL rule says, a value whose MODE this hart
   * does not implement (1..7, 11+, or above `maxMode`) is ignored entirely:
   * read {@link satp} back to see whether the write took. ASID bits above
   * ASIDLEN read as zero. Nothing is flushed: the TLB is ASID-tagged, and the
   * guest fences after reusing an ASID (spec: writing satp implies no
   * invalidation). Throws `RangeError` for a value that is not a 64-bit integer.
   */
  set satp(value: number | bigint) {
    const [hi, lo] = this.csr(value, 'satp');
    const s = legalSatp(this.hart, hi, lo);
    if (s !== undefined) this.write({ satpHi: s[0], satpLo: s[1] });
  }

  /** `satp.MODE`: 0 Bare, 8 Sv39, 9 Sv48, 10 Sv57 (compare with `SatpMode`); on RV32 0 Bare, 1 Sv32. */
  get mode(): number {
    return this.cfg.mode;
  }

  /** `satp.ASID` (legalized to ASIDLEN bits): the tag of new TLB entries and of lookups. */
  get asid(): number {
    return this.cfg.asid;
  }

  /** `mstatus` as stored (MPP legalized); the MMU reads MPP [12:11], MPRV [17], SUM [18] and MXR [19]. */
  get mstatus(): bigint {
    return big(this.cfg.mstatusHi, this.cfg.mstatusLo);
  }
  /**
   * CSRW mstatus: MPP, MPRV, SUM and MXR take effect on the next access (TLB
   * hits re-check them, so nothing is flushed). MPP is WARL: the reserved
   * value 2 keeps the previous MPP. Other bits are stored but unused.
   */
  set mstatus(value: number | bigint) {
    const [hi, lo] = this.csr(value, 'mstatus');
    this.write({ mstatusHi: hi, mstatusLo: legalMstatusLo(this.cfg.mpp, lo) });
  }

  /** `sstatus`, the S-mode view of `mstatus`: its SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, UXL and SD bits (SD is bit 31 on RV32). */
  get sstatus(): bigint {
    return big(this.cfg.mstatusHi & SSTATUS_HI, this.cfg.mstatusLo & this.sstatusLo());
  }

  /** The low-word bits `sstatus` shows: RV32 adds SD (bit 31). */
  private sstatusLo(): number {
    return this.hart.xlen === 32 ? (SSTATUS_LO | 0x8000_0000) >>> 0 : SSTATUS_LO;
  }
  /**
   * CSRW sstatus: writes the `mstatus` bits `sstatus` shows and keeps the
   * others (MPP, MPRV...). Of these only SUM and MXR concern the MMU; as for
   * {@link mstatus}, they take effect on the next access and nothing is flushed.
   */
  set sstatus(value: number | bigint) {
    const [hi, lo] = this.csr(value, 'sstatus');
    const c = this.cfg;
    const m = this.sstatusLo();
    this.write({
      mstatusHi: ((c.mstatusHi & ~SSTATUS_HI) | (hi & SSTATUS_HI)) >>> 0,
      mstatusLo: ((c.mstatusLo & ~m) | (lo & m)) >>> 0,
    });
  }

  /** Current privilege: 0 U, 1 S, 3 M. */
  get priv(): RiscvPriv {
    return this.cfg.priv;
  }
  /**
   * A privilege change (trap, `mret`, `sret`): throws `RangeError` for
   * anything but 0 (U), 1 (S) or 3 (M). The TLB is not privilege-tagged and
   * hits re-check the privilege, so nothing is flushed.
   */
  set priv(priv: RiscvPriv) {
    if (priv !== 0 && priv !== 1 && priv !== 3)
      throw new RangeError(`RiscvMmu: privilege ${String(priv)} is not 0 (U), 1 (S) or 3 (M)`);
    if (priv !== this.cfg.priv) this.write({ priv });
  }

  /**
   * `menvcfg` as the MMU holds it: ADUE (bit 61) and PBMTE (bit 62), from
   * the last write or the `svadu` / `svpbmt` options; every other bit reads
   * as zero (not modelled).
   */
  get menvcfg(): bigint {
    return (this.cfg.svadu ? 1n << 61n : 0n) | (this.cfg.svpbmt ? 1n << 62n : 0n);
  }
  /**
   * CSRW menvcfg on a hart that implements Svadu and Svpbmt: ADUE (bit 61)
   * selects hardware A/D updating, PBMTE (bit 62) enables PBMT. A change of
   * PBMTE flushes the whole TLB (cached entries were checked under the old
   * rule); a change of ADUE flushes nothing (hits re-walk when A/D must be
   * set). Do not write it for a hart without these extensions: their bits
   * are read-only zero there. On RV32 the value is `menvcfgh:menvcfg` and
   * PBMTE reads as zero (Svpbmt is RV64-only).
   */
  set menvcfg(value: number | bigint) {
    const [hi] = registerHalves(value, 'RiscvMmu', 'menvcfg');
    const svpbmt = (hi & MENVCFG_PBMTE_HI) !== 0 && this.hart.xlen === 64;
    if (svpbmt !== this.cfg.svpbmt) this.flushAll();
    this.write({ svadu: (hi & MENVCFG_ADUE_HI) !== 0, svpbmt });
  }

  /** Whether A/D bits are updated by hardware (Svadu with ADUE = 1) rather than faulting (Svade). */
  get hardwareAd(): boolean {
    return this.cfg.svadu;
  }
}
