/**
 * `ptm --help` and the help of each command.
 *
 * @module
 */

const ARCHES = `Arches (--arch):
  x86_64               4-level paging; --levels 5 (or x86_64-la57) for LA57
  riscv-sv39, riscv-sv48, riscv-sv57
                       or riscv --levels 3|4|5 (default 3)
  aarch64              EL1&0, 4 KiB granule, 48-bit VA; --levels 3 (aarch64-39bit)
                       for 39-bit VA (T0SZ/T1SZ = 25); --upper for a TTBR1 table
  loongarch64          4-level; --levels 3 (or loongarch64-3level) for 3 levels
Aliases: x86-64, amd64, x64; riscv64, rv64, sv39, sv48, sv57, riscv64-sv39...;
  arm64; la64, loongarch (output always uses the names above)`;

const IMAGE = `Image options:
  --arch NAME          paging mode of the tables (needed with --root; the
                       registers below say it themselves)
  --levels N           level count, for arches with several modes
  --image FILE         the guest's memory, format detected: a QEMU ELF core
                       (dump-guest-memory), a kdump core (-z, flattened or not),
                       a LiME image, or a raw RAM image from --ram-base on
  --image FILE@PA      a raw region at PA (repeat for several regions)
  --gdb HOST:PORT      a live guest under QEMU's gdbstub (-s is :1234; loopback
                       when HOST is left out): registers and memory are read,
                       the guest is never resumed or changed
  --ram-base PA        physical address of a raw image's first byte (default 0x0)
  --cpu N              a core's CPU whose registers give the root (default 0)
  --root PA            physical address of the root table (without it, a core's
                       x86 QEMU note gives CR3/CR4, else its VMCOREINFO the
                       kernel's table)
  --upper              aarch64 only: the --root table is a TTBR1 one (upper range)
  --cr3 N              x86_64: the whole CR3 (PCID, PWT/PCD, bit 63 masked);
                       --cr4 N: LA57 (bit 12) selects 5-level paging
  --satp N             riscv: the whole satp (MODE selects Sv39/48/57, ASID masked)
  --ttbr0 N, --ttbr1 N aarch64: TTBR0_EL1 and/or TTBR1_EL1 (ASID and CnP masked);
                       both together dump the whole address space
  --tcr N              aarch64: TCR_EL1; T0SZ/T1SZ give the VA size (16..28: 48-
                       to 36-bit, e.g. 22: 42-bit), TG0/TG1 must be 4 KiB
  --mair N             aarch64: MAIR_EL1, for memory types (DEVICE, UNCACHED);
                       without it they are not shown
  --cache-frames N     frames of the image kept in memory (default 1024 = 4 MiB)
  --max-entries N      stop after N present entries (default 2^26), saying where
  --json               machine-readable output (schema in the README)
  -h, --help           this help`;

const FILTERS = `Filters:
  --range START-END    only VAs START..END (inclusive, as the table prints them;
                       START- runs to the top); mappings are clipped to it
  --user, --kernel     only user (U/S, U, AP[1], PLV3) or only kernel pages
  --writable           only writable pages
  --executable         only executable pages`;

/** The help of each command, and of `ptm` itself under `''`. */
export const HELP: Readonly<Record<string, string>> = {
  '': `ptm: build, dump, translate and measure hardware page tables

Usage:
  ptm [demo] [--arch NAME] [--json] [--save-image FILE]
  ptm dump      --arch NAME --image FILE [--ram-base PA] --root PA [filters] [--json]
  ptm translate --arch NAME --image FILE [--ram-base PA] --root PA [--json]
                [--access r|w|x] [--user] [privilege and register options] VA...
  ptm stats     --arch NAME --image FILE [--ram-base PA] --root PA [filters] [--json]
  ptm find-pa   --arch NAME --image FILE [--ram-base PA] --root PA [filters] PA...
  (instead of --arch and --root: --cr3, --satp or --ttbr0/--ttbr1 [--tcr];
   a QEMU core or --gdb HOST:PORT needs neither)

Commands:
  demo        build a kernel-like layout for every paging mode and show it (the default)
  dump        list the mappings of the tables in a RAM image, like QEMU's "info mem"
  translate   walk VAs through the tables entry by entry; with --access, the
              fault an access takes (#PF, page fault, abort, PME, ...)
  stats       count table frames per level and mapped bytes per page size and flags
  find-pa     list every VA that maps a physical address
  help CMD    the help of a command (also: ptm CMD --help)
  --version   the version of ptm

${ARCHES}

Numbers are hex (0x8020_0000) or decimal; "_" may separate digits.
Exit status: 0 done, 1 bad image or root, 2 bad command line.
Colour only on a terminal, and never when NO_COLOR is set.`,

  demo: `Usage: ptm [demo] [--arch NAME [--levels N]] [--json] [--save-image FILE]

Builds, for every paging mode (or the one --arch selects), what a small
kernel maps at boot, in an embedded RAM: the identity map of RAM in huge
pages, the kernel image in the high half (.text RX, .rodata R, .data RW in
4 KiB pages), one user process (USER), and the board's MMIO windows (DEVICE).
Prints per mode the merged mapping table, a few translations and the table
frames used.

Options:
  --arch NAME          one mode only (names below)
  --levels N           level count, for arches with several modes
  --json               machine-readable output (schema in the README)
  --save-image FILE    write each mode's RAM (the tables) to FILE and print the
                       "ptm dump" command that reads it back; with several
                       modes, FILE gets the mode's name before its extension
                       (demo.img -> demo-x86_64.img, demo-riscv-sv39.img, ...)
  -h, --help           this help

${ARCHES}`,

  dump: `Usage: ptm dump --arch NAME --image FILE [--ram-base PA] --root PA [filters] [--json]

Adopts the page tables at --root in a RAM image and prints the leaf mappings
merged into runs (contiguous VA and PA, equal flags and page size), like
QEMU's "info mem": VA range and PA range (first and last address), size,
page size and flags. Entries that link to tables outside the image, or to a
table already walked (a loop), are listed after the table; the walk goes on.
Rows stream out as the walk finds them, in bounded memory.

${IMAGE}

${FILTERS}

${ARCHES}`,

  translate: `Usage: ptm translate --arch NAME --image FILE [--ram-base PA] --root PA [--json] VA...
       ptm translate ... [--access r|w|x] [--user | PRIVILEGE] [REGISTERS] VA...

Translates each VA as the MMU would, showing every entry read: its level,
index, physical address and raw value; then the PA, flags and page size, or
where the walk stops and why (not present at a level, a table outside the
image, a non-canonical VA).

With --access, --user or any privilege or register option below, the arch's
emulator MMU checks the access: its debug walk (which writes nothing, so the
image is never changed) shows every entry it read, the effective permissions,
and the PA, page size and flags, or the exact fault the access takes:
  x86_64       #PF (vector 14) with its error code (P W U RSVD I/D PK) and
               CR2, or #GP(0) for a non-canonical VA
  riscv        the exception code (12/13/15 page fault, 1/5/7 access fault),
               its name and tval
  aarch64      the ESR (EC, FSC decoded, WnR) and FAR
  loongarch64  Ecode/EsubCode (PIL PIS PIF PME PNR PNX PPI ADEF ADEM) and
               BADV, or TLBR when the access takes a TLB refill

Access options:
  --access r|w|x       read (the default), write or execute (instruction fetch)
  --user               the arch's user mode: CPL 3, U-mode, EL0, PLV3
                       (the default is the kernel's: CPL 0, S-mode, EL1, PLV0)

x86_64 (CR3 = --root):
  --cpl 0..3           current privilege level (3 = user-mode accesses)
  --cr0 N              default 0x80010011: PG, WP, ET, PE
  --cr4 N              default 0x20: PAE; 0x1020 with --levels 5 (LA57)
  --efer N             default 0xd00: NXE, LMA, LME
  --rflags N           default 0x2 (AC, bit 18, lifts CR4.SMAP)
  --pkru N             default 0x0 (read with CR4.PKE, bit 22)

riscv:
  --priv u|s|m         privilege mode (default s)
  --satp N             default: the --arch mode, ASID 0, PPN = --root >> 12
  --mstatus N          default 0x0 (MPRV bit 17, SUM 18, MXR 19, MPP 12:11)
  --svadu              hardware A/D updating (default Svade: A = 0, or a
                       store to D = 0, is a page fault)

aarch64 (TTBR0_EL1 = --root, or TTBR1_EL1 with --upper; the other TTBR is 0):
  --el 0..2            Exception level (default 1); 2 is the EL2 regime
                       without VHE, with TTBR0_EL2 = --root
  --tcr N              TCR_EL1 (TCR_EL2 at EL2); default 0x5b5903510: two
                       48-bit ranges, 4 KiB granule, IPS 48 bits, EPD1 (with
                       --upper 0x5b5103590: EPD0); at EL2 0x80853510
  --sctlr N            SCTLR_EL1 (SCTLR_EL2); default 0x30d01805 (M = 1),
                       at EL2 0x30c51835
  --mair N             MAIR_EL1 (MAIR_EL2); default 0x44ff04, the layout the
                       codec writes
  --pan                PSTATE.PAN = 1 (EL1 data accesses to EL0 pages fault)

loongarch64 (PGDL = PGDH = --root):
  --plv 0..3           privilege level (default the PLV of --crmd, 0)
  --crmd N             default 0x10: PG = 1, DA = 0 (--plv, --user set PLV)
  --pwcl N             default 0x13e4d52c (PT 12, Dir1 21, Dir2 30; 9 bits each)
  --pwch N             default 0x267 (Dir3 39), 0x0 with --levels 3
  --ptw on|off         on (default): a TLB miss is refilled by the MMU as
                       Linux's handler does it; off: it is the TLB refill
                       exception (TLBR)

Register values are hex or decimal, up to 64 bits.

${IMAGE}

${ARCHES}`,

  stats: `Usage: ptm stats --arch NAME --image FILE [--ram-base PA] --root PA [filters] [--json]

Counts the table frames of each level, and the leaves and bytes mapped per page
size and per flag set (of the leaves the filters keep).

${IMAGE}

${FILTERS}

${ARCHES}`,
  'find-pa': `Usage: ptm find-pa --arch NAME --image FILE [--ram-base PA] --root PA [filters] [--json] PA...

Lists every VA that maps each PA: the reverse of translate. A kernel maps
RAM more than once (the linear map, the kernel image, aliases), so a PA may
have many VAs; each line shows the VA, the leaf (or the part of it the
filters keep) that maps it, and the leaf's flags.

${IMAGE}

${FILTERS}

${ARCHES}`,
};

/** The command names, for messages. */
export const COMMANDS: readonly string[] = ['demo', 'dump', 'translate', 'stats', 'find-pa', 'help'];
