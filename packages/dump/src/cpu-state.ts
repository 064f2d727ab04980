/**
 * CPU registers from a core's notes: NT_PRSTATUS per CPU (Linux's
 * `elf_prstatus` layouts as QEMU fills them) and the x86 `QEMU` note
 * (`QEMUCPUState`, QEMU's `target/i386/arch_dump.c`), which alone carries
 * the control registers.
 *
 * @module
 */

import { DumpError } from './error.js';
import { Fields } from './fields.js';
import type { ElfNote } from './notes.js';

/** The machines a dump can come from (ELF `e_machine`, kdump `utsname.machine`). */
export type DumpMachine = 'x86_64' | 'i386' | 'aarch64' | 'riscv64' | 'riscv32' | 'loongarch64';

/**
 * One CPU's registers at dump time, by lower-case name as the manuals spell
 * them (`cr0`, `cr3`, `cr4`, `rip`, `rsp`, `pc`, `x0` ...). QEMU's x86 note
 * carries CR0-CR4 but not EFER: on x86 an `EM_X86_64` core means the first
 * CPU was in long mode (QEMU writes `EM_386` otherwise).
 */
export interface CpuState {
  /** CPU number, in note order from 0. */
  index: number;
  /** Register values. */
  registers: ReadonlyMap<string, bigint>;
}

/** NT_PRSTATUS: the `CORE` note type with a thread's general registers. */
export const NT_PRSTATUS = 1;

/** QEMUCPUState version this reader knows (`QEMUCPUSTATE_VERSION`). */
export const QEMU_CPU_STATE_VERSION = 1;

// x86_64 elf_prstatus: 336 bytes, pr_pid at 32, user_regs_struct at 112 (8 bytes a register).
const X86_64_PRSTATUS = 336;
const X86_64_REGS =
  'r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs rflags rsp ss fs_base gs_base ds es fs gs'.split(
    ' ',
  );
// i386 elf_prstatus: 144 bytes, user_regs_struct at 72 (4 bytes a slot; segment selectors in the low 16 bits).
const I386_PRSTATUS = 144;
const I386_REGS = 'ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss'.split(' ');
// aarch64 elf_prstatus: 392 bytes, user_pt_regs at 112: x0..x30, sp, pc, pstate.
const AARCH64_PRSTATUS = 392;
const AARCH64_REGS = [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp', 'pc', 'pstate'];
// riscv64 elf_prstatus: 376 bytes, user_regs_struct at 112: pc, then x1..x31.
const RISCV64_PRSTATUS = 376;
const RISCV64_REGS = ['pc', ...Array.from({ length: 31 }, (_, i) => `x${i + 1}`)];

// QEMUCPUState: version u32 @0, size u32 @4, then u64 fields.
const QEMU_GPRS = 'rax rbx rcx rdx rsi rdi rsp rbp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags'.split(' '); // @8, 8 bytes each
const QEMU_SEGMENTS = 'cs ds es fs gs ss ldt tr gdt idt'.split(' '); // @152, 24 bytes each: selector, limit, flags, pad (u32), base (u64)
const QEMU_CR = 392; // cr[0..4] @392..424
const QEMU_SIZE_V1 = 432; // up to cr[4]
const QEMU_KERNEL_GS_BASE = 432; // present when size >= 440 (added without a version change)

/**
 * The machine whose NT_PRSTATUS layout has `size` bytes (x86_64 336, i386
 * 144, aarch64 392, riscv64 376), for files that do not name their machine
 * (QEMU writes `utsname.machine` "Unknown" in kdump files of non-x86 guests).
 */
export function machineOfPrstatus(size: number): DumpMachine | undefined {
  switch (size) {
    case X86_64_PRSTATUS:
      return 'x86_64';
    case I386_PRSTATUS:
      return 'i386';
    case AARCH64_PRSTATUS:
      return 'aarch64';
    case RISCV64_PRSTATUS:
      return 'riscv64';
  }
  return undefined;
}

/**
 * The CPUs described by `notes`: the n-th NT_PRSTATUS and the n-th `QEMU`
 * note belong to CPU n. Registers the `QEMU` note carries win over the
 * NT_PRSTATUS copy. A `QEMU` note of another version or an impossible size
 * is an `Unsupported` / `Corrupt` {@link DumpError}; an NT_PRSTATUS of an
 * unknown layout adds a warning and no registers.
 */
export function cpuStatesFromNotes(
  notes: readonly ElfNote[],
  machine: DumpMachine | undefined,
  warnings: string[],
): CpuState[] {
  const regs: Map<string, bigint>[] = [];
  let prstatus = 0;
  let qemu = 0;
  const cpu = (i: number) => {
    while (regs.length <= i) regs.push(new Map());
    return regs[i];
  };
  for (const note of notes) {
    if (note.name === 'CORE' && note.type === NT_PRSTATUS) {
      const i = prstatus++;
      if (!readPrstatus(note.desc, machine, cpu(i))) {
        warnings.push(
          `NT_PRSTATUS ${i} has ${note.desc.length} bytes, not a layout known for ${machine ?? 'this machine'}: its registers are not read`,
        );
      }
    } else if (note.name === 'QEMU' && note.type === 0) {
      readQemuCpuState(note.desc, qemu, cpu(qemu));
      qemu++;
    }
  }
  return regs.map((registers, index) => ({ index, registers }));
}

function readPrstatus(desc: Uint8Array, machine: DumpMachine | undefined, out: Map<string, bigint>): boolean {
  const f = new Fields(desc);
  const table = (names: string[], at: number, width: 4 | 8) => {
    names.forEach((name, k) => {
      const v = width === 8 ? f.u64(at + 8 * k) : BigInt(f.u32(at + 4 * k));
      out.set(name, v);
    });
  };
  if ((machine === 'x86_64' || machine === undefined) && desc.length === X86_64_PRSTATUS) table(X86_64_REGS, 112, 8);
  else if ((machine === 'i386' || machine === 'x86_64' || machine === undefined) && desc.length === I386_PRSTATUS) {
    table(I386_REGS, 72, 4);
    for (const s of ['ds', 'es', 'fs', 'gs', 'cs', 'ss']) out.set(s, out.get(s)! & 0xffffn);
  } else if (machine === 'aarch64' && desc.length === AARCH64_PRSTATUS) table(AARCH64_REGS, 112, 8);
  else if (machine === 'riscv64' && desc.length === RISCV64_PRSTATUS) table(RISCV64_REGS, 112, 8);
  else return false;
  return true;
}

/** Decodes the x86 `QEMU` note (QEMUCPUState) of CPU `index` into `out`. */
function readQemuCpuState(desc: Uint8Array, index: number, out: Map<string, bigint>): void {
  if (desc.length < 8)
    throw new DumpError(
      'Truncated',
      `truncated: QEMU CPU note ${index} has ${desc.length} bytes, less than its version and size fields`,
    );
  const f = new Fields(desc);
  const version = f.u32(0);
  const size = f.u32(4);
  if (version !== QEMU_CPU_STATE_VERSION) {
    throw new DumpError(
      'Unsupported',
      `QEMU CPU note ${index} has QEMUCPUState version ${version}; this reader knows version ${QEMU_CPU_STATE_VERSION} (QEMU target/i386/arch_dump.c)`,
    );
  }
  if (size < QEMU_SIZE_V1 || size > desc.length) {
    throw new DumpError(
      'Corrupt',
      `QEMU CPU note ${index} says its state is ${size} bytes in a ${desc.length}-byte note; version 1 needs at least ${QEMU_SIZE_V1}`,
    );
  }
  QEMU_GPRS.forEach((name, k) => {
    out.set(name, f.u64(8 + 8 * k));
  });
  QEMU_SEGMENTS.forEach((name, k) => {
    const at = 152 + 24 * k;
    if (name !== 'gdt' && name !== 'idt') out.set(name, BigInt(f.u32(at)));
    out.set(`${name}_limit`, BigInt(f.u32(at + 4)));
    if (name !== 'gdt' && name !== 'idt') out.set(`${name}_flags`, BigInt(f.u32(at + 8)));
    out.set(`${name}_base`, f.u64(at + 16));
  });
  for (let k = 0; k < 5; k++) out.set(`cr${k}`, f.u64(QEMU_CR + 8 * k));
  if (size >= QEMU_KERNEL_GS_BASE + 8) out.set('kernel_gs_base', f.u64(QEMU_KERNEL_GS_BASE));
}
