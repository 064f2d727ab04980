import { describe, expect, it } from 'vitest';
import { kernelRoot, parseVmcoreinfo, vmcoreinfoNumber, vmcoreinfoSymbol } from '../src/index.js';

// Shaped like the VMCOREINFO notes of Debian 6.1 kernels: SYMBOL as "%lx", VMCOREINFO_NUMBER as "%ld",
// the arch code's own NUMBER lines as "0x%llx".
const X86 = `OSRELEASE=6.1.0-18-amd64
BUILD-ID=0c1b2f7a
PAGESIZE=4096
SYMBOL(init_uts_ns)=ffffffff9c815580
SYMBOL(swapper_pg_dir)=ffffffff9b40a000
SYMBOL(init_top_pgt)=ffffffff9b40a000
NUMBER(pgtable_l5_enabled)=1
NUMBER(phys_base)=-352321536
NUMBER(sme_mask)=0
KERNELOFFSET=19000000
\0\0\0`;

const ARM64 = `OSRELEASE=6.1.0-18-arm64
PAGESIZE=4096
SYMBOL(swapper_pg_dir)=ffff800009e42000
NUMBER(VA_BITS)=48
NUMBER(kimage_voffset)=0xffff7fffc7e00000
NUMBER(PHYS_OFFSET)=0x40000000
NUMBER(TCR_EL1_T1SZ)=16
KERNELOFFSET=0
KERNELPACMASK=0x0
`;

const RISCV = `OSRELEASE=6.1.0-18-riscv64
PAGESIZE=4096
SYMBOL(swapper_pg_dir)=ffffffff81a2d000
NUMBER(phys_ram_base)=2147483648
NUMBER(PAGE_OFFSET)=0xff60000000000000
NUMBER(VMALLOC_END)=0xff5fffffffffffff
NUMBER(VA_BITS)=57
NUMBER(KERNEL_LINK_ADDR)=0xffffffff80000000
NUMBER(va_kernel_pa_offset)=0xffffffff00000000
`;

describe('VMCOREINFO', () => {
  it('parses symbols as hex and numbers as decimal (negative wraps) or 0x hex', () => {
    const info = parseVmcoreinfo(X86);
    expect(info.raw.endsWith('\0')).toBe(false);
    expect(info.fields.get('OSRELEASE')).toBe('6.1.0-18-amd64');
    expect(vmcoreinfoSymbol(info, 'init_top_pgt')).toBe(0xffffffff9b40a000n);
    expect(vmcoreinfoNumber(info, 'phys_base')).toBe((1n << 64n) - 352321536n);
    expect(vmcoreinfoNumber(info, 'pgtable_l5_enabled')).toBe(1n);
    expect(vmcoreinfoNumber(parseVmcoreinfo(ARM64), 'kimage_voffset')).toBe(0xffff7fffc7e00000n);
    expect(vmcoreinfoSymbol(info, 'missing')).toBeUndefined();
    expect(vmcoreinfoNumber(parseVmcoreinfo('NUMBER(x)=abc\n'), 'x')).toBeUndefined();
    expect(vmcoreinfoSymbol(parseVmcoreinfo('SYMBOL(x)=zz\n'), 'x')).toBeUndefined();
  });

  it('x86_64: init_top_pgt - __START_KERNEL_map + phys_base (KASLR), 5-level from pgtable_l5_enabled', () => {
    const r = kernelRoot(parseVmcoreinfo(X86), 'x86_64');
    expect(r?.root).toBe(0x640a000n);
    expect(r?.vaBits).toBe(57);
    expect(r?.how).toContain('SYMBOL(init_top_pgt)=0xffffffff9b40a000');
    expect(r?.how).toContain('NUMBER(phys_base)');
    const four = kernelRoot(parseVmcoreinfo(X86.replace('pgtable_l5_enabled)=1', 'pgtable_l5_enabled)=0')), 'x86_64');
    expect(four?.vaBits).toBe(48);
    expect(kernelRoot(parseVmcoreinfo('SYMBOL(init_top_pgt)=ffffffff82a0a000\n'), 'x86_64')).toBeUndefined();
  });

  it('arm64: swapper_pg_dir - kimage_voffset, VA bits from TCR_EL1.T1SZ or VA_BITS', () => {
    const r = kernelRoot(parseVmcoreinfo(ARM64), 'aarch64');
    expect(r).toEqual({
      root: 0x42042000n,
      how: 'SYMBOL(swapper_pg_dir)=0xffff800009e42000 - NUMBER(kimage_voffset)=0xffff7fffc7e00000',
      vaBits: 48,
    });
    const r52 = kernelRoot(parseVmcoreinfo(ARM64.replace('T1SZ)=16', 'T1SZ)=12')), 'aarch64');
    expect(r52?.vaBits).toBe(52);
    expect(
      kernelRoot(parseVmcoreinfo(ARM64.replace('TCR_EL1_T1SZ', 'X').replace('VA_BITS)=48', 'VA_BITS)=39')), 'aarch64')
        ?.vaBits,
    ).toBe(39);
  });

  it('riscv64: kernel-image symbols minus va_kernel_pa_offset, linear-map ones from PAGE_OFFSET and phys_ram_base', () => {
    const r = kernelRoot(parseVmcoreinfo(RISCV), 'riscv64');
    expect(r?.root).toBe(0x81a2d000n);
    expect(r?.vaBits).toBe(57);
    expect(r?.how).toContain('va_kernel_pa_offset');
    const linear = RISCV.replace('SYMBOL(swapper_pg_dir)=ffffffff81a2d000', 'SYMBOL(swapper_pg_dir)=ff60000001a2d000');
    const l = kernelRoot(parseVmcoreinfo(linear), 'riscv64');
    expect(l?.root).toBe(0x81a2d000n);
    expect(l?.how).toContain('PAGE_OFFSET');
  });

  it('has no root for machines or texts it cannot place', () => {
    expect(kernelRoot(parseVmcoreinfo(ARM64), undefined)).toBeUndefined();
    expect(kernelRoot(parseVmcoreinfo(ARM64), 'loongarch64')).toBeUndefined();
    expect(kernelRoot(parseVmcoreinfo('OSRELEASE=x\n'), 'riscv64')).toBeUndefined();
  });
});
