/**
 * ELF notes (`{u32 namesz, u32 descsz, u32 type}`, name and descriptor each
 * padded to 4 bytes), as QEMU writes them into ELF cores and kdump files.
 *
 * @module
 */

import { DumpError } from './error.js';
import { Fields, hex, latin1 } from './fields.js';

/** One note: its name without the NUL, its type and its descriptor bytes. */
export interface ElfNote {
  /** Owner name, e.g. `CORE`, `QEMU`, `VMCOREINFO`. */
  readonly name: string;
  /** Note type (NT_PRSTATUS = 1 for `CORE`; 0 for QEMU's CPU state). */
  readonly type: number;
  /** The descriptor. */
  readonly desc: Uint8Array;
}

const pad4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * Splits a note area into notes. `where` names the area in errors (a
 * `Truncated` {@link DumpError} when a note runs past its end); trailing zero
 * padding is ignored.
 */
export function parseNotes(area: Uint8Array, littleEndian: boolean, where: string): ElfNote[] {
  const f = new Fields(area, littleEndian);
  const notes: ElfNote[] = [];
  let at = 0;
  while (at + 12 <= area.length) {
    const namesz = f.u32(at);
    const descsz = f.u32(at + 4);
    const type = f.u32(at + 8);
    if (namesz === 0 && descsz === 0 && type === 0) break;
    const nameAt = at + 12;
    const descAt = nameAt + pad4(namesz);
    const end = descAt + pad4(descsz);
    if (descAt + descsz > area.length) {
      throw new DumpError(
        'Truncated',
        `truncated: note ${notes.length} of ${where} (at +${hex(at)}) announces ${namesz} name and ${descsz} descriptor bytes, past the area's end at +${hex(area.length)}`,
      );
    }
    let nameEnd = nameAt + namesz;
    while (nameEnd > nameAt && area[nameEnd - 1] === 0) nameEnd--;
    notes.push({ name: latin1(area.subarray(nameAt, nameEnd)), type, desc: area.subarray(descAt, descAt + descsz) });
    at = Math.min(end, area.length);
  }
  return notes;
}
