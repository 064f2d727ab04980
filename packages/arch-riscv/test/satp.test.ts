/** The satp CSR value and the paging-mode metadata. */
import { describe, expect, it } from 'vitest';
import {
  parseSatp,
  RV64_PTE,
  RV64_PTE_SVPBMT,
  RV64_PTE_XUANTIE,
  SATP_ASID_MAX,
  SatpMode,
  SV39_METADATA,
  SV39_XUANTIE_METADATA,
  SV48_METADATA,
  SV48_SVPBMT_METADATA,
  SV57_METADATA,
  SV57_XUANTIE_METADATA,
  type SvMode,
  satp,
  svMetadata,
} from '../src/index.js';

describe('satp', () => {
  it('has the RV64 MODE values', () => {
    expect(SatpMode).toEqual({ Bare: 0, Sv39: 8, Sv48: 9, Sv57: 10 });
  });

  it('puts MODE at 60..63, ASID at 44..59, PPN at 0..43', () => {
    expect(satp(SatpMode.Sv39, 0, 0x8020_0000)).toBe(0x8000_0000_0008_0200n);
    expect(satp(SatpMode.Sv48, 1, 0x1000)).toBe((9n << 60n) | (1n << 44n) | 1n);
    expect(satp(SatpMode.Sv57, SATP_ASID_MAX, 0xff_ffff_ffff_f000n)).toBe(0xafff_ffff_ffff_ffffn);
    expect(satp(SatpMode.Bare, 0, 0)).toBe(0n);
  });

  it('round-trips through parseSatp', () => {
    expect(parseSatp(satp(SatpMode.Sv39, 0x1234, 0x8765_4000))).toEqual({ mode: 8, asid: 0x1234, root: 0x8765_4000 });
    expect(parseSatp(0xafff_ffff_ffff_ffffn)).toEqual({ mode: 10, asid: 0xffff, root: 0xff_ffff_ffff_f000n });
  });

  it('refuses values the register cannot hold', () => {
    expect(() => satp(7 as SatpMode, 0, 0)).toThrow(RangeError);
    expect(() => satp(SatpMode.Sv39, -1, 0)).toThrow(RangeError);
    expect(() => satp(SatpMode.Sv39, 0x1_0000, 0)).toThrow(RangeError);
    expect(() => satp(SatpMode.Sv39, 1.5, 0)).toThrow(RangeError);
    expect(() => satp(SatpMode.Sv39, 0, 0x1001)).toThrow(/aligned/);
    expect(() => satp(SatpMode.Sv39, 0, 1n << 56n)).toThrow(/56-bit/);
    expect(() => satp(SatpMode.Bare, 1, 0)).toThrow(/Bare/);
    expect(() => satp(SatpMode.Bare, 0, 0x1000)).toThrow(/Bare/);
  });
});

describe('metadata', () => {
  it.each([
    [SV39_METADATA, 3, 39],
    [SV48_METADATA, 4, 48],
    [SV57_METADATA, 5, 57],
  ])('%# has the mode’s levels and widths', (m, levels, vaBits) => {
    expect(m.levels).toBe(levels);
    expect(m.vaBits).toBe(vaBits);
    expect(m.paBits).toBe(56);
    expect(m.vaCheck).toBe('sign-extend');
    expect(m.pte).toBe(RV64_PTE);
    expect(Object.isFrozen(m)).toBe(true);
  });

  it('shares one object per mode and codec option', () => {
    const modes: SvMode[] = ['Sv39', 'Sv48', 'Sv57'];
    for (const mode of modes) {
      expect(svMetadata(mode).pte).toBe(RV64_PTE);
      expect(svMetadata(mode, { xuantie: true }).pte).toBe(RV64_PTE_XUANTIE);
      expect(svMetadata(mode, { svpbmt: true }).pte).toBe(RV64_PTE_SVPBMT);
      expect(svMetadata(mode, { xuantie: true })).toBe(svMetadata(mode, { xuantie: true }));
    }
    expect(svMetadata('Sv39')).toBe(SV39_METADATA);
    expect(svMetadata('Sv39', { xuantie: true })).toBe(SV39_XUANTIE_METADATA);
    expect(svMetadata('Sv48', { svpbmt: true })).toBe(SV48_SVPBMT_METADATA);
    expect(svMetadata('Sv57', { xuantie: true, svpbmt: false })).toBe(SV57_XUANTIE_METADATA);
    expect(() => svMetadata('Sv64' as SvMode)).toThrow(TypeError);
    expect(SV39_XUANTIE_METADATA.name).toBe('riscv64 Sv39 (XuanTie C9xx)');
  });
});
