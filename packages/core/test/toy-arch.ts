/** A minimal x86-like codec for testing the generic walker without an arch package. */
import { GenericPTE, MappingFlags, type PagingMetaData } from '../src/index.js';

/** P b0, W b1, U b2, PS b7 (huge), X b9 (execute, a spare bit), UC b4; address bits 12..51. */
export class ToyPTE extends GenericPTE {
  readonly arch = 'toy';
  present(lo: number): boolean {
    return (lo & 1) !== 0;
  }
  table(lo: number): boolean {
    return (lo & 0x81) === 1;
  }
  huge(lo: number): boolean {
    return (lo & 0x80) !== 0;
  }
  frame(lo: number, hi: number): number {
    return (hi & 0xfffff) * 0x100000 + (lo >>> 12);
  }
  decodeFlags(lo: number): number {
    if (!(lo & 1)) return 0;
    let f = MappingFlags.READ;
    if (lo & 2) f |= MappingFlags.WRITE;
    if (lo & 4) f |= MappingFlags.USER;
    if (lo & 0x200) f |= MappingFlags.EXECUTE;
    if (lo & 0x10) f |= MappingFlags.UNCACHED;
    return f;
  }
  encodePage(frame: number, flags: number, huge: boolean): void {
    let lo = (frame % 0x100000) * 4096;
    if (flags & 7) lo |= 1;
    if (flags & MappingFlags.WRITE) lo |= 2;
    if (flags & MappingFlags.USER) lo |= 4;
    if (flags & MappingFlags.EXECUTE) lo |= 0x200;
    if (flags & (MappingFlags.DEVICE | MappingFlags.UNCACHED)) lo |= 0x10;
    if (huge) lo |= 0x80;
    this.lo = lo >>> 0;
    this.hi = Math.floor(frame / 0x100000) & 0xfffff;
  }
  encodeTable(frame: number): void {
    this.lo = ((frame % 0x100000) * 4096 + 7) >>> 0;
    this.hi = Math.floor(frame / 0x100000) & 0xfffff;
  }
  setFrame(lo: number, hi: number, frame: number): void {
    this.lo = ((lo & 0xfff) + (frame % 0x100000) * 4096) >>> 0;
    this.hi = ((hi & ~0xfffff) | (Math.floor(frame / 0x100000) & 0xfffff)) >>> 0;
  }
  checkFlags(): string | undefined {
    return undefined;
  }
}

const pte = new ToyPTE();
export const TOY4: PagingMetaData = {
  name: 'toy 4-level',
  levels: 4,
  paBits: 52,
  vaBits: 48,
  vaCheck: 'sign-extend',
  pte,
};
export const TOY3: PagingMetaData = {
  name: 'toy 3-level',
  levels: 3,
  paBits: 52,
  vaBits: 39,
  vaCheck: 'sign-extend',
  pte,
};
export const TOY5: PagingMetaData = {
  name: 'toy 5-level',
  levels: 5,
  paBits: 52,
  vaBits: 57,
  vaCheck: 'sign-extend',
  pte,
};
