/**
 * RISC-V RV64 page tables (Sv39, Sv48, Sv57) for `@page-table/core`: the
 * entry codec, the paging-mode metadata, ready-made page-table classes and
 * the `satp` value that activates a table.
 *
 * @module
 */

export * from './metadata.js';
export * from './page-table.js';
export * from './pte.js';
export * from './satp.js';
