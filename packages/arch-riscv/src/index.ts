/**
 * RISC-V RV64 page tables (Sv39, Sv48, Sv57) for `@page-table/core`: the
 * entry codec, the paging-mode metadata, ready-made page-table classes and
 * the `satp` value that activates a table, and the emulator MMU (`RiscvMmu`)
 * with its fault codes.
 *
 * @module
 */

export * from './fault.js';
export * from './metadata.js';
export * from './mmu.js';
export * from './mmu-report.js';
export * from './page-table.js';
export * from './pte.js';
export * from './satp.js';
