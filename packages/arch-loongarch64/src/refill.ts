/**
 * The TLB-refill walk: the PWCL/PWCH layout and the software page-walking
 * instructions LDDIR and LDPTE (LoongArch Reference Manual Vol. 1 v1.10,
 * "Software Page Table Walking Instructions"; the huge-page level mark in
 * bits 14:13 as the r1p10 manual describes it).
 *
 * Linux's refill handler is `csrrd PGD; lddir 3; [lddir 2;] lddir 1;
 * ldpte 0; ldpte 1; tlbfill` with the levels its PWCL/PWCH describe; the
 * MMU's built-in walk (`ptw: true`) runs the same instructions over every
 * directory level whose width is not 0, top first.
 *
 * @module
 */

import type { PhysMemory, WalkStep } from '@page-table/core';
import type { AddrLike, PhysAddr } from '@page-table/memory-addr';
import { reg64 } from './registers.js';

/** A PWCL/PWCH pair decoded: where each level's index sits in a VA. */
export interface LA64WalkLayout {
  /** PTbase: lowest VA bit of the last-level (PTE) index; also the PS of a normal page. */
  readonly ptBase: number;
  /** PTwidth: index bits of the last level. */
  readonly ptWidth: number;
  /** DirN_base for N = 1..4 (index 0 unused). */
  readonly dirBase: readonly number[];
  /** DirN_width for N = 1..4 (index 0 unused; 0 = level absent). */
  readonly dirWidth: readonly number[];
  /** The directory levels a walk loads, top first (every N with DirN_width > 0), e.g. `[3, 2, 1]`. */
  readonly levels: readonly number[];
}

/** The widest index field this model walks (a 2^25-entry table is 256 MiB). */
const MAX_WIDTH = 25;

/**
 * Decodes PWCL and PWCH (manual, "Page Walk Controller for Lower/Higher Half
 * Address Space") and checks that this model can walk the layout; throws a
 * `RangeError` saying why not. Supported: 64-bit entries (PTEWidth 0),
 * PTbase ≥ 12, PTwidth ≥ 1, index fields of at most 25 bits that lie in VA
 * bits 0..63 and do not overlap, ascending from the PT to the top
 * directory (gaps, i.e. ignored VA bits, are allowed). PWCH bits 24 and up
 * (v1.1's HPTW_En) are ignored: the MMU's `ptw` option decides.
 */
export function la64WalkLayout(pwcl: AddrLike, pwch: AddrLike): LA64WalkLayout {
  const reason = layoutProblem(reg64(pwcl, 'pwcl')[1], reg64(pwch, 'pwch')[1]);
  if (typeof reason === 'string') throw new RangeError(`loongarch64: unsupported page-walk layout: ${reason}`);
  return reason;
}

/** The layout, or why it is not supported. */
export function layoutProblem(pwcl: number, pwch: number): LA64WalkLayout | string {
  const pteWidth = pwcl >>> 30;
  const ptBase = pwcl & 0x1f;
  const ptWidth = (pwcl >>> 5) & 0x1f;
  const dirBase = [0, (pwcl >>> 10) & 0x1f, (pwcl >>> 20) & 0x1f, pwch & 0x3f, (pwch >>> 12) & 0x3f];
  const dirWidth = [0, (pwcl >>> 15) & 0x1f, (pwcl >>> 25) & 0x1f, (pwch >>> 6) & 0x3f, (pwch >>> 18) & 0x3f];
  const hex = (x: number) => `0x${(x >>> 0).toString(16)}`;
  const where = `PWCL=${hex(pwcl)} PWCH=${hex(pwch)}`;
  if (pteWidth !== 0) {
    return `PTEWidth=${pteWidth} (${64 << pteWidth}-bit entries) in ${where}: only 64-bit entries (PTEWidth 0) are supported`;
  }
  if (ptWidth === 0) return `PTwidth=0 in ${where}: the last level needs index bits`;
  if (ptBase < 12) return `PTbase=${ptBase} in ${where}: pages are at least 4 KiB (PTbase >= 12)`;
  if (ptWidth > MAX_WIDTH)
    return `PTwidth=${ptWidth} in ${where}: index fields wider than ${MAX_WIDTH} bits are not supported`;
  let floor = ptBase + ptWidth;
  const levels: number[] = [];
  for (let n = 1; n <= 4; n++) {
    const w = dirWidth[n];
    if (w === 0) continue;
    const b = dirBase[n];
    if (w > MAX_WIDTH)
      return `Dir${n}_width=${w} in ${where}: index fields wider than ${MAX_WIDTH} bits are not supported`;
    if (b + w > 64) return `Dir${n} (base ${b}, width ${w}) in ${where} reaches past VA bit 63`;
    if (b < floor) {
      return `Dir${n}_base=${b} in ${where} overlaps the level below it (which ends at VA bit ${floor - 1}): levels must ascend from the PT`;
    }
    floor = b + w;
    levels.unshift(n);
  }
  return { ptBase, ptWidth, dirBase, dirWidth, levels };
}

const TWO32 = 4294967296;
const GH = 1 << 6;
const HGLOBAL = 1 << 12;
const LEVEL_MARK = 3 << 13;

/**
 * The directory level a huge entry's mark (bits 14:13) names, or 0 for no
 * usable mark: unmarked, or naming a level the layout lacks (width 0). The
 * manual leaves a mark of an absent level undefined (its PS would be
 * DirN_base + DirN_width - 1 = -1); this model never honours one: LDDIR
 * re-marks such an entry with the level it runs at, and LDPTE splits it by
 * the mark-0 rule, so a hostile entry still gives a page of a real size.
 */
function markedLevel(layout: LA64WalkLayout, lo: number): number {
  const mark = (lo >>> 13) & 3;
  return mark !== 0 && layout.dirWidth[mark] !== 0 ? mark : 0;
}

/**
 * Runs LDDIR / LDPTE over physical memory, on 32-bit halves held in fields
 * (no bigint, no allocation unless steps are recorded): the operand rj in
 * {@link rjHi}/{@link rjLo}, the VA being refilled (TLBRBADV, which both
 * instructions index by) in {@link badvHi}/{@link badvLo}; results land in
 * {@link outHi}/{@link outLo} (and {@link outPs} for LDPTE). Internal to the MMU.
 */
export class RefillWalker {
  /** High half of rj, the instruction's operand (a table address, or a huge entry). */
  rjHi = 0;
  /** Low half of rj. */
  rjLo = 0;
  /** High half of TLBRBADV, the VA being refilled. */
  badvHi = 0;
  /** Low half of TLBRBADV. */
  badvLo = 0;
  /** High half of the last instruction's result. */
  outHi = 0;
  /** Low half of the last instruction's result. */
  outLo = 0;
  /** PS of the last LDPTE. */
  outPs = 0;
  /** Whether any load since {@link reset} hit unbacked physical memory (read as 0). */
  unbacked = false;
  /** When set, every entry load is appended here. */
  steps: WalkStep[] | undefined;
  /** PA of the first unbacked entry read since {@link reset}, or -1. */
  unbackedPa = -1;

  private readonly paHiMask: number;

  constructor(
    readonly mem: PhysMemory,
    palen: number,
  ) {
    this.paHiMask = 2 ** (palen - 32) - 1;
  }

  /** Clears the unbacked-memory flag and the step log. */
  reset(steps?: WalkStep[]): void {
    this.unbacked = false;
    this.unbackedPa = -1;
    this.steps = steps;
  }

  /** Sets the operand rj and TLBRBADV from halves. */
  operands(rjHi: number, rjLo: number, badvHi: number, badvLo: number): void {
    this.rjHi = rjHi >>> 0;
    this.rjLo = rjLo >>> 0;
    this.badvHi = badvHi >>> 0;
    this.badvLo = badvLo >>> 0;
  }

  /**
   * LDDIR rd, rj, level. A huge entry (bit 6) passes through, marked with
   * `level[1:0]` in bits 14:13 unless already marked; otherwise rj's address
   * bits [PALEN-1:12] are the table and the entry at the VA's DirN index is
   * loaded whole (all 64 bits; QEMU 7.2 drops bits 63:48).
   */
  lddir(layout: LA64WalkLayout, level: number): void {
    const rjLo = this.rjLo;
    if ((rjLo & GH) !== 0) {
      this.outHi = this.rjHi;
      this.outLo = markedLevel(layout, rjLo) !== 0 ? rjLo : ((rjLo & ~LEVEL_MARK) | ((level & 3) << 13)) >>> 0;
      return;
    }
    this.load(this.index(layout.dirBase[level], layout.dirWidth[level]), level);
  }

  /**
   * LDPTE rj, seq. For a table base: loads the even (seq 0) or odd (seq 1)
   * PTE of the VA's pair, PS = PTbase. For a huge entry: PS comes from the
   * level mark (0 = PT: PTbase + PTwidth - 1, N: DirN_base + DirN_width - 1),
   * the mark and H are cleared, HGLOBAL moves to G, and the odd half's
   * address is the even one's plus 2^PS.
   */
  ldpte(layout: LA64WalkLayout, seq: number): void {
    const rjLo = this.rjLo;
    if ((rjLo & GH) !== 0) {
      const mark = markedLevel(layout, rjLo);
      const ps = mark === 0 ? layout.ptBase + layout.ptWidth - 1 : layout.dirBase[mark] + layout.dirWidth[mark] - 1;
      let lo = rjLo & ~(LEVEL_MARK | GH);
      if (lo & HGLOBAL) lo = (lo & ~HGLOBAL) | GH;
      let hi = this.rjHi;
      lo >>>= 0;
      if (seq & 1) {
        if (ps < 32) {
          const sum = lo + 2 ** ps;
          lo = sum >>> 0;
          hi = (hi + (sum >= TWO32 ? 1 : 0)) >>> 0;
        } else {
          hi = (hi + 2 ** (ps - 32)) >>> 0;
        }
      }
      this.outHi = hi;
      this.outLo = lo;
      this.outPs = ps;
      return;
    }
    this.load((this.index(layout.ptBase, layout.ptWidth) & ~1) | (seq & 1), 0);
    this.outPs = layout.ptBase;
  }

  /** Index of TLBRBADV in a table whose index field is `width` bits at `base` (width ≤ 25). */
  private index(base: number, width: number): number {
    // A shift, not `2 ** width`: exponentiation is a runtime call on this path.
    const mask = ((1 << width) >>> 0) - 1;
    if (base >= 32) return (this.badvHi >>> (base - 32)) & mask;
    if (base + width <= 32) return (this.badvLo >>> base) & mask;
    return ((this.badvLo >>> base) | (this.badvHi << (32 - base))) & mask;
  }

  /** Loads entry `index` of the table at rj's address bits [PALEN-1:12] (address = base OR index * 8, as QEMU). */
  private load(index: number, level: number): void {
    const hiPart = this.rjHi & this.paHiMask;
    // Integer math while the table is below 4 GiB (the common case); the frame as a double above.
    const baseFrame = hiPart === 0 ? this.rjLo >>> 12 : hiPart * 1048576 + (this.rjLo >>> 12);
    const offFrame = index >>> 9;
    const inFrame = (index & 511) << 3;
    // OR, not add, of the index into the base (the same for a table aligned to its size).
    // The frame's low 25 bits, as an integer: `%` on a double beyond int32 is a runtime call.
    const low = (baseFrame >>> 0) & 0x1ff_ffff;
    const frame = offFrame === 0 ? baseFrame : baseFrame - low + (low | offFrame);
    const w = this.mem.frameWord(frame);
    let lo = 0;
    let hi = 0;
    if (w < 0) {
      if (!this.unbacked) this.unbackedPa = frame * 4096 + inFrame;
      this.unbacked = true;
    } else {
      const words = this.mem.words;
      const at = w + (inFrame >>> 2);
      lo = words[at];
      hi = words[at + 1];
    }
    this.outHi = hi >>> 0;
    this.outLo = lo >>> 0;
    if (this.steps !== undefined) {
      this.steps.push({
        level,
        index,
        entryPaddr: (frame * 4096 + inFrame) as PhysAddr,
        entry: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0),
      });
    }
  }
}
