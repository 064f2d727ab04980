/**
 * A small reference model of the VMSAv7 stage-1 walk, written straight from
 * the Arm ARM (B3.5, B3.6, B3.7, B3.13) with plain
 * arithmetic on bit fields and the permission tables as strings. Slow and
 * simple on purpose; it shares no code with the MMU.
 */

/** Bits hi..lo of a non-negative integer below 2^53. */
export function bits(x: number, hi: number, lo: number): number {
  return Math.floor(x / 2 ** lo) % 2 ** (hi - lo + 1);
}

/** What the model says an access does: a PA, or the FSR value of its abort. */
export type ModelResult = { pa: number } | { fsr: number };

/** Register state of the model. */
export interface ModelRegs {
  readonly ttbr0: number;
  readonly ttbr1: number;
  /** 64-bit TTBR high words (LPAE). */
  readonly ttbr0Hi: number;
  readonly ttbr1Hi: number;
  readonly ttbcr: number;
  readonly dacr: number;
  readonly afe: boolean;
  readonly pl: 0 | 1;
}

/** Rights per AP[2:0] with AFE = 0: PL1 then PL0, `r`/`w` or `-` (B3.7.1; 100 reserved = no access). */
const FULL = ['----', 'rw--', 'rwr-', 'rwrw', '----', 'r---', 'r-r-', 'r-r-'];
/** Rights per AP[2:1] in the simplified model (B3.7.1, simplified model). */
const SIMPLE = ['rw--', 'rwrw', 'r---', 'r-r-'];

function allowed(rights: string, pl: number, access: number, xn: boolean, pxn: boolean): boolean {
  const mine = pl === 1 ? rights.slice(0, 2) : rights.slice(2);
  if (access === 0) return mine[0] === 'r';
  if (access === 1) return mine[1] === 'w';
  return mine[0] === 'r' && !xn && !(pl === 1 && pxn);
}

/** The short-descriptor walk; `read32` gives the word at a PA, or undefined outside memory. */
export function modelShort(
  read32: (pa: number) => number | undefined,
  r: ModelRegs,
  va: number,
  access: number,
): ModelResult {
  const data = access !== 2;
  const fault = (fs: number, domain: number): ModelResult => ({
    fsr: bits(fs, 3, 0) + (fs >= 16 ? 1024 : 0) + (data ? domain * 16 + (access === 1 ? 2048 : 0) : 0),
  });
  const n = bits(r.ttbcr, 2, 0);
  const useTtbr1 = n > 0 && bits(va, 31, 32 - n) !== 0;
  if (useTtbr1 ? bits(r.ttbcr, 5, 5) : bits(r.ttbcr, 4, 4)) return fault(0b00101, 0);
  const l1 = useTtbr1
    ? bits(r.ttbr1, 31, 14) * 2 ** 14 + bits(va, 31, 20) * 4
    : bits(r.ttbr0, 31, 14 - n) * 2 ** (14 - n) + bits(va, 31 - n, 20) * 4;
  const desc = read32(l1);
  if (desc === undefined) return fault(0b01100, 0);
  const type = bits(desc, 1, 0);
  if (type === 0) return fault(0b00101, 0);
  let domain = 0;
  let level: number;
  let pa: number;
  let ap: number;
  let xn: boolean;
  let pxn: boolean;
  if (type === 1) {
    domain = bits(desc, 8, 5);
    pxn = bits(desc, 2, 2) === 1;
    const d2 = read32(bits(desc, 31, 10) * 1024 + bits(va, 19, 12) * 4);
    if (d2 === undefined) return fault(0b01110, domain);
    const t2 = bits(d2, 1, 0);
    if (t2 === 0) return fault(0b00111, domain);
    level = 2;
    if (t2 === 1) {
      pa = bits(d2, 31, 16) * 2 ** 16 + bits(va, 15, 0);
      xn = bits(d2, 15, 15) === 1;
    } else {
      pa = bits(d2, 31, 12) * 2 ** 12 + bits(va, 11, 0);
      xn = bits(d2, 0, 0) === 1;
    }
    ap = bits(d2, 5, 4) + 4 * bits(d2, 9, 9);
  } else {
    level = 1;
    pxn = bits(desc, 0, 0) === 1;
    xn = bits(desc, 4, 4) === 1;
    ap = bits(desc, 11, 10) + 4 * bits(desc, 15, 15);
    if (bits(desc, 18, 18) === 1) {
      pa = bits(desc, 31, 24) * 2 ** 24 + bits(desc, 23, 20) * 2 ** 32 + bits(desc, 8, 5) * 2 ** 36 + bits(va, 23, 0);
    } else {
      domain = bits(desc, 8, 5);
      pa = bits(desc, 31, 20) * 2 ** 20 + bits(va, 19, 0);
    }
  }
  const dom = bits(r.dacr, 2 * domain + 1, 2 * domain);
  if (dom === 0 || dom === 2) return fault(level === 1 ? 0b01001 : 0b01011, domain);
  if (dom === 3) return { pa };
  if (r.afe && ap % 2 === 0) return fault(level === 1 ? 0b00011 : 0b00110, domain);
  const rights = r.afe ? SIMPLE[Math.floor(ap / 2)] : FULL[ap];
  if (!allowed(rights, r.pl, access, xn, pxn)) return fault(level === 1 ? 0b01101 : 0b01111, domain);
  return { pa };
}

/** The long-descriptor walk; `read64` gives [hi, lo] of the entry at a PA, or undefined outside memory. */
export function modelLpae(
  read64: (pa: number) => readonly [number, number] | undefined,
  r: ModelRegs,
  va: number,
  access: number,
): ModelResult {
  const fault = (status: number): ModelResult => ({ fsr: status + 512 + (access === 1 ? 2048 : 0) });
  const t0 = bits(r.ttbcr, 2, 0);
  const t1 = bits(r.ttbcr, 18, 16);
  let ttbr: number;
  if (t1 === 0) ttbr = t0 > 0 && va >= 2 ** (32 - t0) ? 1 : 0;
  else if (va >= 2 ** 32 - 2 ** (32 - t1)) ttbr = 1;
  else if (t0 > 0 && va >= 2 ** (32 - t0)) return fault(0b000101);
  else ttbr = 0;
  if (bits(r.ttbcr, ttbr === 0 ? 7 : 23, ttbr === 0 ? 7 : 23) === 1) return fault(0b000101);
  const tsz = ttbr === 0 ? t0 : t1;
  const x = tsz <= 1 ? 5 - tsz : 14 - tsz;
  const reg = ttbr === 0 ? r.ttbr0 : r.ttbr1;
  const regHi = ttbr === 0 ? r.ttbr0Hi : r.ttbr1Hi;
  let table = bits(reg, 31, x) * 2 ** x + bits(regHi, 7, 0) * 2 ** 32;
  const start = tsz <= 1 ? 1 : 2;
  let apTable0 = false;
  let apTable1 = false;
  let xnTable = false;
  let pxnTable = false;
  for (let level = start; level <= 3; level++) {
    const index =
      level === 1 ? bits(va, 31 - tsz, 30) : level === 2 ? bits(va, start === 2 ? 31 - tsz : 29, 21) : bits(va, 20, 12);
    const e = read64(table + index * 8);
    if (e === undefined) return fault(0b010100 + level);
    const [hi, lo] = e;
    const type = bits(lo, 1, 0);
    if (type % 2 === 0) return fault(0b000100 + level);
    if (type === 1 && level === 3) return fault(0b000100 + level);
    if (bits(hi, 15, 8) !== 0) return fault(level);
    if (type === 3 && level < 3) {
      pxnTable ||= bits(hi, 27, 27) === 1;
      xnTable ||= bits(hi, 28, 28) === 1;
      apTable0 ||= bits(hi, 29, 29) === 1;
      apTable1 ||= bits(hi, 30, 30) === 1;
      table = bits(lo, 31, 12) * 2 ** 12 + bits(hi, 7, 0) * 2 ** 32;
      continue;
    }
    const shift = level === 1 ? 30 : level === 2 ? 21 : 12;
    const pa = bits(lo, 31, shift) * 2 ** shift + bits(hi, 7, 0) * 2 ** 32 + bits(va, shift - 1, 0);
    if (bits(lo, 10, 10) === 0) return fault(0b001000 + level);
    const ap2 = bits(lo, 7, 7) === 1 || apTable1;
    const ap1 = bits(lo, 6, 6) === 1 && !apTable0;
    const rights = SIMPLE[(ap2 ? 2 : 0) + (ap1 ? 1 : 0)];
    const xn = bits(hi, 22, 22) === 1 || xnTable;
    const pxn = bits(hi, 21, 21) === 1 || pxnTable;
    if (!allowed(rights, r.pl, access, xn, pxn)) return fault(0b001100 + level);
    return { pa };
  }
  throw new Error('unreachable');
}
