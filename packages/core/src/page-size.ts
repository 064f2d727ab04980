/**
 * Leaf sizes: the ones the generic walker maps (a 4 KiB page at the last
 * level, a 2 MiB block one level up and a 1 GiB block two levels up), and the
 * 4 MiB page of x86 32-bit paging and the leaves of the AArch64 16 KiB and
 * 64 KiB granules, which the emulator MMUs report.
 *
 * @module
 */

/** Sizes of a leaf mapping, in bytes. */
export const PageSize = {
  /** 4 KiB page (last level). */
  Size4K: 0x1000,
  /** 2 MiB block (one level above the last). */
  Size2M: 0x20_0000,
  /** 1 GiB block (two levels above the last). */
  Size1G: 0x4000_0000,
  /** 4 MiB page: a page-directory leaf of x86 32-bit paging with CR4.PSE (SDM Vol. 3A §4.3). */
  Size4M: 0x40_0000,
  /** 16 KiB page: a level-3 page of the AArch64 16 KiB granule (Arm ARM D8.2, D8.3). */
  Size16K: 0x4000,
  /** 64 KiB page: a level-3 page of the AArch64 64 KiB granule (Arm ARM D8.2, D8.3). */
  Size64K: 0x1_0000,
  /** 32 MiB block: a level-2 block of the AArch64 16 KiB granule (Arm ARM D8.2). */
  Size32M: 0x200_0000,
  /** 512 MiB block: a level-2 block of the AArch64 64 KiB granule (Arm ARM D8.2). */
  Size512M: 0x2000_0000,
} as const;

/** One of the {@link PageSize} values. */
export type PageSize = (typeof PageSize)[keyof typeof PageSize];

/** Whether `size` is a leaf size the 512-entry walker maps (4K, 2M or 1G). */
export function isPageSize(size: number): size is PageSize {
  return size === PageSize.Size4K || size === PageSize.Size2M || size === PageSize.Size1G;
}

/** Whether the size is a block (2M, 1G, 4M, 32M or 512M) rather than a page (4K, 16K or 64K). */
export function isHugePage(size: PageSize): boolean {
  return size !== PageSize.Size4K && size !== PageSize.Size16K && size !== PageSize.Size64K;
}

/**
 * The level (0 = last level) at which a leaf of this size sits: 0, 1 or 2 (4M pages sit at level 1 of their
 * 2-level format; the AArch64 16K and 64K pages at 0 and their 32M and 512M blocks at 1).
 */
export function pageSizeLevel(size: PageSize): number {
  return size === PageSize.Size4K || size === PageSize.Size16K || size === PageSize.Size64K
    ? 0
    : size === PageSize.Size1G
      ? 2
      : 1;
}

/** The leaf size at a level (0 = last level); only levels 0..2 hold leaves. */
export function levelPageSize(level: number): PageSize {
  return level === 0 ? PageSize.Size4K : level === 1 ? PageSize.Size2M : PageSize.Size1G;
}

/** The size's name in {@link PageSize}, e.g. `Size4K` or `Size512M`. */
export function formatPageSize(size: PageSize): string {
  for (const [name, value] of Object.entries(PageSize)) if (value === size) return name;
  return 'Size4M';
}
