/**
 * `ptm --help` and the help of each command.
 *
 * @module
 */

const ARCHES = `Arches (--arch):
  x86_64               4-level paging; --levels 5 (or x86_64-la57) for LA57
  riscv-sv39, riscv-sv48, riscv-sv57
                       or riscv --levels 3|4|5 (default 3)
  aarch64              EL1&0, 4 KiB granule; --upper for a TTBR1 table
  loongarch64          4-level; --levels 3 (or loongarch64-3level) for 3 levels`;

const IMAGE = `Image options:
  --arch NAME          paging mode of the tables (required, see below)
  --levels N           level count, for arches with several modes
  --image FILE         raw RAM image: the bytes of physical memory from --ram-base on
  --ram-base PA        physical address of the image's first byte (default 0x0)
  --root PA            physical address of the root table (CR3, satp.PPN << 12, TTBR, PGD)
  --upper              aarch64 only: the table is a TTBR1 one; print VAs in the 0xffff_ range
  --cache-frames N     frames of the image kept in memory (default 1024 = 4 MiB)
  --json               machine-readable output (schema in the README)
  -h, --help           this help`;

/** The help of each command, and of `ptm` itself under `''`. */
export const HELP: Readonly<Record<string, string>> = {
  '': `ptm: build, dump, translate and measure hardware page tables

Usage:
  ptm [demo] [--arch NAME] [--json] [--save-image FILE]
  ptm dump      --arch NAME --image FILE [--ram-base PA] --root PA [--json]
  ptm translate --arch NAME --image FILE [--ram-base PA] --root PA [--json] VA...
  ptm stats     --arch NAME --image FILE [--ram-base PA] --root PA [--json]

Commands:
  demo        build a kernel-like layout for every paging mode and show it (the default)
  dump        list the mappings of the tables in a RAM image, like QEMU's "info mem"
  translate   walk VAs through the tables entry by entry
  stats       count table frames per level and mapped bytes per page size and flags
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

  dump: `Usage: ptm dump --arch NAME --image FILE [--ram-base PA] --root PA [--json]

Adopts the page tables at --root in a RAM image and prints the leaf mappings
merged into runs (contiguous VA and PA, equal flags and page size), like
QEMU's "info mem": VA range, PA range, size, page size and flags. Entries that
link to tables outside the image, or to a table already walked (a loop), are
listed after the table; the walk goes on.

${IMAGE}

${ARCHES}`,

  translate: `Usage: ptm translate --arch NAME --image FILE [--ram-base PA] --root PA [--json] VA...

Translates each VA as the MMU would, showing every entry read: its level,
index, physical address and raw value; then the PA, flags and page size, or
where the walk stops and why (not present at a level, a table outside the
image, a non-canonical VA).

${IMAGE}

${ARCHES}`,

  stats: `Usage: ptm stats --arch NAME --image FILE [--ram-base PA] --root PA [--json]

Counts the table frames of each level, and the leaves and bytes mapped per page
size and per flag set.

${IMAGE}

${ARCHES}`,
};

/** The command names, for messages. */
export const COMMANDS: readonly string[] = ['demo', 'dump', 'translate', 'stats', 'help'];
