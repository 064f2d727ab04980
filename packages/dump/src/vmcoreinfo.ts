/**
 * Linux's VMCOREINFO: the `KEY=VALUE` lines a kernel leaves for dump tools,
 * and the physical address of the kernel's top-level page table derived
 * from them.
 *
 * @module
 */

import type { DumpMachine } from './cpu-state.js';

/** A parsed VMCOREINFO text: the raw text and its fields by key (`SYMBOL(init_top_pgt)`, `NUMBER(phys_base)`, `OSRELEASE` ...). */
export interface VmcoreInfo {
  /** The text as stored. */
  raw: string;
  /** Value text by key; a key given twice keeps its last value. */
  fields: ReadonlyMap<string, string>;
}

/** Parses VMCOREINFO text (NUL padding and blank lines ignored). */
export function parseVmcoreinfo(text: string): VmcoreInfo {
  const raw = text.replace(/\0+$/, '');
  const fields = new Map<string, string>();
  for (const line of raw.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return { raw, fields };
}

const U64 = (1n << 64n) - 1n;

/**
 * `SYMBOL(name)`: a kernel virtual address (the kernel writes it as hex
 * without `0x`, `"%lx"`), or undefined when absent or not hex.
 */
export function vmcoreinfoSymbol(info: VmcoreInfo, name: string): bigint | undefined {
  const v = info.fields.get(`SYMBOL(${name})`);
  if (v === undefined || !/^(0x)?[0-9a-f]+$/i.test(v)) return undefined;
  return BigInt(v.startsWith('0x') || v.startsWith('0X') ? v : `0x${v}`) & U64;
}

/**
 * `NUMBER(name)` as a 64-bit value: decimal as `VMCOREINFO_NUMBER` writes it
 * (`"%ld"`, so negative values wrap to two's complement), or `0x` hex as the
 * arch code writes some (`kimage_voffset`, `PHYS_OFFSET`, `va_kernel_pa_offset`).
 */
export function vmcoreinfoNumber(info: VmcoreInfo, name: string): bigint | undefined {
  const v = info.fields.get(`NUMBER(${name})`);
  if (v === undefined) return undefined;
  if (/^0x[0-9a-f]+$/i.test(v)) return BigInt(v) & U64;
  if (/^-?[0-9]+$/.test(v)) return BigInt(v) & U64;
  return undefined;
}

/** Where the kernel's top-level table is, and which VMCOREINFO fields said so. */
export interface KernelRoot {
  /** Physical address of the top-level table. */
  root: bigint;
  /** The fields and arithmetic used, for the user. */
  how: string;
  /** Virtual-address bits of the kernel's configuration, when VMCOREINFO says. */
  vaBits?: number;
}

// x86_64 __START_KERNEL_map (arch/x86/include/asm/page_64_types.h).
const START_KERNEL_MAP = 0xffffffff80000000n;

const hx = (v: bigint) => `0x${v.toString(16)}`;

/**
 * The physical address of the kernel's top-level page table from VMCOREINFO,
 * or undefined when the fields it needs are missing. Kernel-image symbols
 * translate as the kernel's own `__pa_symbol` does:
 * - x86_64: `__phys_addr_symbol(x) = x - __START_KERNEL_map + phys_base`
 *   (arch/x86/include/asm/page_64.h) on `SYMBOL(init_top_pgt)`, exported with
 *   `NUMBER(phys_base)` by arch/x86/kernel/machine_kexec_64.c; 57 VA bits when
 *   `NUMBER(pgtable_l5_enabled)=1`, else 48.
 * - arm64: `__kimg_to_phys(x) = x - kimage_voffset` (arch/arm64/include/asm/memory.h)
 *   on `SYMBOL(swapper_pg_dir)`; VA bits from `NUMBER(TCR_EL1_T1SZ)` (64 - T1SZ)
 *   or `NUMBER(VA_BITS)` (arch/arm64/kernel/vmcore_info.c).
 * - riscv64: a kernel-image address (at or above `NUMBER(KERNEL_LINK_ADDR)`)
 *   maps as `kernel_mapping_va_to_pa(x) = x - va_kernel_pa_offset`, a
 *   linear-map one as `x - PAGE_OFFSET + phys_ram_base` (arch/riscv/include/asm/page.h,
 *   fields from arch/riscv/kernel/vmcore_info.c); VA bits from `NUMBER(VA_BITS)`.
 */
export function kernelRoot(info: VmcoreInfo, machine: DumpMachine | undefined): KernelRoot | undefined {
  const sym = (n: string) => vmcoreinfoSymbol(info, n);
  const num = (n: string) => vmcoreinfoNumber(info, n);
  const bits = (v: bigint | undefined) => (v === undefined || v === 0n || v > 64n ? undefined : Number(v));
  const withBits = (r: KernelRoot, vaBits: number | undefined): KernelRoot =>
    vaBits === undefined ? r : { ...r, vaBits };
  if (machine === 'x86_64') {
    const va = sym('init_top_pgt') ?? sym('swapper_pg_dir');
    const physBase = num('phys_base');
    if (va === undefined || physBase === undefined) return undefined;
    const name = sym('init_top_pgt') !== undefined ? 'init_top_pgt' : 'swapper_pg_dir';
    const l5 = num('pgtable_l5_enabled');
    return withBits(
      {
        root: (va - START_KERNEL_MAP + physBase) & U64,
        how: `SYMBOL(${name})=${hx(va)} - __START_KERNEL_map ${hx(START_KERNEL_MAP)} + NUMBER(phys_base)=${hx(physBase)}`,
      },
      l5 === undefined ? undefined : l5 === 1n ? 57 : 48,
    );
  }
  if (machine === 'aarch64') {
    const va = sym('swapper_pg_dir');
    const voff = num('kimage_voffset');
    if (va === undefined || voff === undefined) return undefined;
    const t1sz = num('TCR_EL1_T1SZ');
    return withBits(
      { root: (va - voff) & U64, how: `SYMBOL(swapper_pg_dir)=${hx(va)} - NUMBER(kimage_voffset)=${hx(voff)}` },
      t1sz !== undefined && t1sz > 0n && t1sz < 64n ? 64 - Number(t1sz) : bits(num('VA_BITS')),
    );
  }
  if (machine === 'riscv64' || machine === 'riscv32') {
    const va = sym('swapper_pg_dir');
    if (va === undefined) return undefined;
    const vaBits = bits(num('VA_BITS'));
    const link = num('KERNEL_LINK_ADDR');
    const kOff = num('va_kernel_pa_offset');
    if (kOff !== undefined && (link === undefined || va >= link)) {
      return withBits(
        { root: (va - kOff) & U64, how: `SYMBOL(swapper_pg_dir)=${hx(va)} - NUMBER(va_kernel_pa_offset)=${hx(kOff)}` },
        vaBits,
      );
    }
    const pageOffset = num('PAGE_OFFSET');
    const ramBase = num('phys_ram_base');
    if (pageOffset === undefined || ramBase === undefined || va < pageOffset) return undefined;
    return withBits(
      {
        root: (va - pageOffset + ramBase) & U64,
        how: `SYMBOL(swapper_pg_dir)=${hx(va)} - NUMBER(PAGE_OFFSET)=${hx(pageOffset)} + NUMBER(phys_ram_base)=${hx(ramBase)}`,
      },
      vaBits,
    );
  }
  return undefined;
}
