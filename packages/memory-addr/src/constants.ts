/**
 * Page sizes shared by the supported architectures.
 *
 * @module
 */

/** 4 KiB, the base page size on every supported architecture. */
export const PAGE_SIZE_4K = 0x1000;

/** 2 MiB, the huge page one level above a 4 KiB page (x86_64 PDE, aarch64 level-2 block, RISC-V megapage). */
export const PAGE_SIZE_2M = 0x20_0000;

/** 1 GiB, the huge page two levels above a 4 KiB page (x86_64 PDPTE, aarch64 level-1 block, RISC-V gigapage). */
export const PAGE_SIZE_1G = 0x4000_0000;
