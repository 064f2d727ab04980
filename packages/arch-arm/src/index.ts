/**
 * 32-bit Arm (ARMv7-A VMSA) translation tables for `@page-table/core`: the
 * short-descriptor codecs (first and second level) and the LPAE
 * long-descriptor codec, the formats as data for the generic walker, and the
 * emulator MMU (`ArmV7Mmu`) with its DFSR/IFSR fault status.
 *
 * @module
 */

export * from './access-permissions.js';
export * from './fault.js';
export * from './lpae-pte.js';
export * from './metadata.js';
export * from './mmu.js';
export {
  SCTLR_AFE,
  SCTLR_M,
  SCTLR_TRE,
  TTBCR_A1,
  TTBCR_EAE,
  TTBCR_EPD0,
  TTBCR_EPD1,
  TTBCR_PD0,
  TTBCR_PD1,
} from './mmu-config.js';
export * from './mmu-report.js';
export * from './short-pte.js';
