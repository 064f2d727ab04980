/**
 * AArch64 (VMSAv8-64 stage 1, 4 KiB granule) page tables: the descriptor
 * codec, the paging metadata per regime and MAIR layout, the page-table
 * class, the register values the OS programs to match, and the emulator
 * MMU (`A64Mmu`) with its fault syndromes.
 *
 * @module
 */

export * from './fault.js';
export * from './metadata.js';
export * from './mmu.js';
export * from './mmu-report.js';
export * from './page-table.js';
export * from './pte.js';
export * from './registers.js';
