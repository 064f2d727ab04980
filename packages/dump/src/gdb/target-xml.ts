/**
 * GDB target descriptions (GDB manual, "Target Descriptions"): the XML a
 * stub serves through `qXfer:features:read`, with `<xi:include>`d files,
 * giving each register's name, number and size.
 *
 * @module
 */

import { GdbError } from './gdb-error.js';

/** One register of the target description. */
export interface GdbRegister {
  /** Name as the description spells it (`cr3`, `TTBR1_EL1`, `satp`). */
  name: string;
  /** Number for `p` packets. */
  regnum: number;
  /** Size in bits. */
  bitsize: number;
  /** The `<feature name=...>` it belongs to. */
  feature: string | undefined;
}

/** The registers and architecture a target description declares. */
export interface TargetDescription {
  /** `<architecture>` text, e.g. `i386:x86-64`, `aarch64`, `riscv:rv64`. */
  architecture: string | undefined;
  /** Registers in number order. */
  registers: GdbRegister[];
}

function attrs(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out.set(m[1], m[2] ?? m[3]);
  return out;
}

/**
 * Reads the description `annex` (normally `target.xml`) with `load`,
 * following `<xi:include href>` in document order. Registers are numbered
 * as GDB numbers them: in document order from 0, a `regnum` attribute
 * setting the number of its register and those after it. An include cycle
 * is a `Protocol` {@link GdbError}.
 */
export async function readTargetDescription(
  load: (annex: string) => Promise<string>,
  annex = 'target.xml',
): Promise<TargetDescription> {
  const registers: GdbRegister[] = [];
  let architecture: string | undefined;
  let next = 0;
  const open = new Set<string>();
  const walk = async (name: string): Promise<void> => {
    if (open.has(name))
      throw new GdbError('Protocol', `the gdbstub's target description includes ${name} inside itself`);
    open.add(name);
    const xml = (await load(name)).replace(/<!--[\s\S]*?-->/g, '');
    let feature: string | undefined;
    for (const m of xml.matchAll(/<(\/?)(feature|reg|xi:include|architecture)\b([^>]*)>([^<]*)/g)) {
      const [, close, tag, rest, text] = m;
      if (tag === 'feature') feature = close ? undefined : attrs(rest).get('name');
      else if (tag === 'architecture' && !close) architecture = text.trim();
      else if (tag === 'xi:include' && !close) {
        const href = attrs(rest).get('href');
        if (href !== undefined) await walk(href);
      } else if (tag === 'reg' && !close) {
        const a = attrs(rest);
        const regName = a.get('name');
        const bitsize = Number(a.get('bitsize'));
        if (regName === undefined || !Number.isInteger(bitsize) || bitsize <= 0) continue;
        const explicit = a.get('regnum');
        const regnum = explicit === undefined ? next : Number(explicit);
        next = regnum + 1;
        registers.push({ name: regName, regnum, bitsize, feature });
      }
    }
    open.delete(name);
  };
  await walk(annex);
  registers.sort((x, y) => x.regnum - y.regnum);
  return { architecture, registers };
}
