/**
 * ELF cores as QEMU's `dump-guest-memory` writes them (ELF64 and ELF32):
 * PT_LOAD segments by `p_paddr`, PT_NOTE with the CPU notes and VMCOREINFO.
 *
 * @module
 */

import { type ByteSource, readExact } from './byte-source.js';
import { cpuStatesFromNotes, type DumpMachine } from './cpu-state.js';
import { DumpError } from './error.js';
import { Fields, hex, latin1 } from './fields.js';
import { type ElfNote, parseNotes } from './notes.js';
import type { DumpRegion, OpenedDump } from './opened-dump.js';
import { type MemoryRegion, RegionFrames } from './region-frames.js';
import { parseVmcoreinfo } from './vmcoreinfo.js';

/** ELF `e_type` of a core file. */
export const ET_CORE = 4;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PN_XNUM = 0xffff;

const E_TYPES: Record<number, string> = {
  0: 'ET_NONE',
  1: 'ET_REL (object file)',
  2: 'ET_EXEC (executable)',
  3: 'ET_DYN (shared object or PIE executable)',
};

/** ELF `e_machine` values of the machines here (ELF ABI supplements). */
const MACHINES: Record<number, { name: string; machine64: DumpMachine; machine32: DumpMachine }> = {
  3: { name: 'EM_386', machine64: 'i386', machine32: 'i386' },
  62: { name: 'EM_X86_64', machine64: 'x86_64', machine32: 'x86_64' },
  183: { name: 'EM_AARCH64', machine64: 'aarch64', machine32: 'aarch64' },
  243: { name: 'EM_RISCV', machine64: 'riscv64', machine32: 'riscv32' },
  258: { name: 'EM_LOONGARCH', machine64: 'loongarch64', machine32: 'loongarch64' },
};

/** The fixed part of an ELF header both classes share, enough to classify a file. */
export interface ElfIdent {
  /** ELFCLASS64 (true) or ELFCLASS32. */
  is64: boolean;
  /** ELFDATA2LSB (true) or ELFDATA2MSB. */
  littleEndian: boolean;
  /** `e_type`. */
  type: number;
  /** `e_machine`. */
  machine: number;
}

/** Reads and checks `e_ident`, `e_type` and `e_machine` (a `Truncated` or `Corrupt` {@link DumpError} when impossible). */
export function readElfIdent(src: ByteSource): ElfIdent {
  const b = readExact(src, 0, 20, 'the ELF identification and e_type/e_machine');
  const cls = b[4];
  const data = b[5];
  if (cls !== 1 && cls !== 2)
    throw new DumpError('Corrupt', `ELF file with EI_CLASS ${cls}: expected 1 (ELFCLASS32) or 2 (ELFCLASS64)`);
  if (data !== 1 && data !== 2)
    throw new DumpError('Corrupt', `ELF file with EI_DATA ${data}: expected 1 (little-endian) or 2 (big-endian)`);
  const f = new Fields(b, data === 1);
  return { is64: cls === 2, littleEndian: data === 1, type: f.u16(16), machine: f.u16(18) };
}

/** The `NotACore` message for an ELF file whose `e_type` is not ET_CORE. */
export function notACoreMessage(id: ElfIdent): string {
  const m = MACHINES[id.machine]?.name ?? `e_machine ${id.machine}`;
  return `not a core dump: an ELF${id.is64 ? 64 : 32} ${E_TYPES[id.type] ?? `of e_type ${id.type}`} for ${m}; expected e_type ET_CORE (4), as QEMU's dump-guest-memory writes`;
}

/** Opens an ELF core; see {@link openDump}. */
export function openElf(src: ByteSource): OpenedDump {
  const id = readElfIdent(src);
  if (id.type !== ET_CORE) throw new DumpError('NotACore', notACoreMessage(id));
  const is64 = id.is64;
  const cls = is64 ? 'ELF64' : 'ELF32';
  const h = new Fields(readExact(src, 0, is64 ? 64 : 52, `the ${cls} header`), id.littleEndian);
  const phoff = is64 ? h.offset64(32, 'e_phoff') : h.u32(28);
  const shoff = is64 ? h.offset64(40, 'e_shoff') : h.u32(32);
  const phentsize = h.u16(is64 ? 54 : 42);
  let phnum = h.u16(is64 ? 56 : 44);
  const shentsize = h.u16(is64 ? 58 : 46);
  const wantPh = is64 ? 56 : 32;
  if (phentsize !== wantPh)
    throw new DumpError('Corrupt', `${cls} core with e_phentsize ${phentsize}: expected ${wantPh}`);
  if (phnum === PN_XNUM) {
    // More than 0xfffe segments: the count is sh_info of section header 0.
    if (shoff === 0)
      throw new DumpError(
        'Corrupt',
        `${cls} core with e_phnum PN_XNUM (0xffff) but no section header to hold the real count`,
      );
    const wantSh = is64 ? 64 : 40;
    if (shentsize !== wantSh)
      throw new DumpError('Corrupt', `${cls} core with e_shentsize ${shentsize}: expected ${wantSh}`);
    const sh0 = new Fields(
      readExact(src, shoff, wantSh, 'section header 0 (the PN_XNUM segment count)'),
      id.littleEndian,
    );
    phnum = sh0.u32(is64 ? 44 : 28);
  }
  const info = MACHINES[id.machine];
  const machine = info === undefined ? undefined : is64 ? info.machine64 : info.machine32;
  const machineName = info?.name ?? `e_machine ${id.machine}`;
  const table = readExact(src, phoff, phnum * wantPh, `the ${phnum} program headers`);
  const regions: MemoryRegion[] = [];
  const summary: DumpRegion[] = [];
  const notes: ElfNote[] = [];
  const warnings: string[] = [];
  let paging = false;
  for (let i = 0; i < phnum; i++) {
    const p = new Fields(table.subarray(i * wantPh, (i + 1) * wantPh), id.littleEndian);
    const type = p.u32(0);
    const offset = is64 ? p.offset64(8, `PT ${i} p_offset`) : p.u32(4);
    const vaddr = is64 ? p.u64(16) : BigInt(p.u32(8));
    const paddr = is64 ? p.u64(24) : BigInt(p.u32(12));
    const filesz = is64 ? p.offset64(32, `PT ${i} p_filesz`) : p.u32(16);
    const memsz = is64 ? p.u64(40) : BigInt(p.u32(20));
    if (type === PT_NOTE) {
      notes.push(...parseNotes(readExact(src, offset, filesz, `PT_NOTE ${i}`), id.littleEndian, `PT_NOTE ${i}`));
    } else if (type === PT_LOAD) {
      const what = `PT_LOAD ${i} (PA ${hex(paddr)}, ${hex(memsz)} bytes)`;
      if (BigInt(filesz) > memsz)
        throw new DumpError('Corrupt', `${what} stores ${hex(filesz)} bytes, more than its p_memsz`);
      if (paddr + memsz > 1n << 64n)
        throw new DumpError('Corrupt', `${what} reaches past the 64-bit physical address space`);
      if (offset + filesz > src.size) {
        throw new DumpError(
          'Truncated',
          `truncated: ${what} needs file bytes ${hex(offset)}..${hex(offset + filesz)} but the file ends at ${hex(src.size)}`,
        );
      }
      if (vaddr !== paddr) paging = true;
      regions.push({ paddr, size: memsz, source: src, offset, stored: filesz });
      summary.push({ paddr, size: memsz, stored: BigInt(filesz) });
    }
  }
  if (regions.length === 0) warnings.push(`${cls} core has no PT_LOAD segment: no memory`);
  if (paging) warnings.push('segments have p_vaddr != p_paddr (dump-guest-memory -p): memory is read by p_paddr');
  const cpus = cpuStatesFromNotes(notes, machine, warnings);
  const vmci = notes.find((n) => n.name === 'VMCOREINFO');
  const vmcoreinfo = vmci === undefined ? undefined : parseVmcoreinfo(latin1(vmci.desc));
  if ((machine === 'x86_64' || machine === 'i386') && cpus.length > 0 && !cpus[0].registers.has('cr3')) {
    warnings.push('no QEMU CPU note: the control registers (CR0, CR3, CR4) are unknown');
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return {
    format: is64 ? 'elf64' : 'elf32',
    description: `${cls} core (${machineName}, ${regions.length} PT_LOAD, ${plural(cpus.length, 'CPU')}${vmcoreinfo ? ', VMCOREINFO' : ''})`,
    machine,
    frames: new RegionFrames(regions),
    regions: summary,
    cpus,
    vmcoreinfo,
    warnings,
  };
}
