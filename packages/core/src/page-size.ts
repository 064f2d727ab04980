/**
 * Leaf sizes: the ones the generic walker maps (a 4 KiB page at the last
 * level, a 2 MiB block one level up and a 1 GiB block two levels up), and the
 * 4 MiB page of x86 32-bit paging, which the emulator MMUs report.
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
} as const;

/** One of the {@link PageSize} values. */
export type PageSize = (typeof PageSize)[keyof typeof PageSize];

/** Whether `size` is a leaf size the 512-entry walker maps (4K, 2M or 1G). */
export function isPageSize(size: number): size is PageSize {
  return size === PageSize.Size4K || size === PageSize.Size2M || size === PageSize.Size1G;
}

/** Whether the size is a block (2M, 1G or 4M) rather than a 4 KiB page. */
export function isHugePage(size: PageSize): boolean {
  return size !== PageSize.Size4K;
}

/** The level (0 = last level) at which a leaf of this size sits: 0, 1 or 2 (4M pages sit at level 1 of their 2-level format). */
export function pageSizeLevel(size: PageSize): number {
  return size === PageSize.Size4K ? 0 : size === PageSize.Size1G ? 2 : 1;
}

/** The leaf size at a level (0 = last level); only levels 0..2 hold leaves. */
export function levelPageSize(level: number): PageSize {
  return level === 0 ? PageSize.Size4K : level === 1 ? PageSize.Size2M : PageSize.Size1G;
}

/** The size's name in {@link PageSize}: `Size4K`, `Size2M`, `Size1G` or `Size4M`. */
export function formatPageSize(size: PageSize): string {
  return size === PageSize.Size4K
    ? 'Size4K'
    : size === PageSize.Size2M
      ? 'Size2M'
      : size === PageSize.Size1G
        ? 'Size1G'
        : 'Size4M';
}
