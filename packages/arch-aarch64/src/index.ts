/**
 * AArch64 (VMSAv8-64 stage 1, 4 KiB granule) page tables: the descriptor
 * codec, the paging metadata per regime and MAIR layout, the page-table
 * class, and the register values the OS programs to match.
 *
 * @module
 */

export * from './metadata.js';
export * from './page-table.js';
export * from './pte.js';
export * from './registers.js';
