/**
 * What the image commands share: opening with a progress line, the header
 * line, the JSON envelope, and how problems print.
 *
 * @module
 */

import { WalkBudgetError } from '@page-table/core';
import { type Audit, type AuditSink, auditTables, type Problem, type ProblemKind, type Tally } from '../audit.js';
import type { Context } from '../context.js';
import { EXIT_FAILURE } from '../errors.js';
import { describeFilter, filterJson, isFiltered, type LeafFilter } from '../filter.js';
import { type OpenedImage, openImage } from '../image.js';
import { displayVa } from '../mappings.js';
import { hex } from '../numbers.js';
import type { ImageArgs } from '../options.js';
import { Progress } from '../progress.js';

/**
 * JSON schema of every `--json` document (its `schema` field). 2: ranges as
 * first and last address (`vaLast`, `paLast`), the `input` and `root`
 * objects, the `tables`, the `filter` (not in translate).
 */
export const JSON_SCHEMA = 2;

/** Problems kept for the human list; the rest are counted. */
export const HUMAN_PROBLEMS = 100;

/** Opens the image of `args` and runs `body` on it with a progress line on stderr; closes the file after. */
export function withImage<T>(ctx: Context, args: ImageArgs, label: string, body: (img: OpenedImage) => T): T {
  const progress = new Progress(ctx.io.stderr, label);
  let img: OpenedImage;
  try {
    img = openImage(args, (n) => progress.update(n), ctx.live);
  } catch (e) {
    progress.done();
    throw e;
  }
  for (const note of img.notes) ctx.warn(note);
  try {
    return body(img);
  } finally {
    progress.done();
    img.close();
  }
}

/** `x86_64 4-level · root 0x101000 (CR3 = 0x101000) · image demo.img, 2 MiB at 0x0` and the filter, if any. */
export function headerLine(ctx: Context, img: OpenedImage, filter?: LeafFilter): string {
  const { style } = ctx;
  const parts: string[] = [];
  if (img.opened.length === 1) {
    const t = img.opened[0];
    parts.push(style.bold(t.mode.meta.name) + (t.upper ? ', TTBR1 (upper range)' : ''));
    parts.push(`root ${hex(t.root)} (${t.mode.register(t.root, t.upper)})`);
  } else {
    for (const t of img.opened)
      parts.push(`${style.bold(t.mode.meta.name)}: root ${hex(t.root)} (${t.mode.register(t.root, t.upper)})`);
  }
  if (img.source !== 'option')
    parts.push(`root from ${img.source === 'qemu-note' ? 'the QEMU register note' : 'VMCOREINFO'}: ${img.detail}`);
  parts.push(`image ${img.input.file}: ${img.input.description}`);
  if (filter !== undefined && isFiltered(filter)) parts.push(`only ${describeFilter(filter)}`);
  return parts.join(style.dim(' · '));
}

/** The fields the schema-2 JSON of `dump`, `stats` and `find-pa` starts with: the envelope, then the filter. */
export function jsonHead(command: string, img: OpenedImage, filter: LeafFilter): Record<string, unknown> {
  return { ...jsonEnvelope(command, img), filter: filterJson(filter) };
}

/** The fields every schema-2 JSON document of an image command starts with (translate's whole header). */
export function jsonEnvelope(command: string, img: OpenedImage): Record<string, unknown> {
  return {
    schema: JSON_SCHEMA,
    command,
    arch: img.mode.arch,
    mode: img.mode.id,
    title: img.mode.meta.name,
    levels: img.mode.levels,
    input: {
      file: img.input.file,
      format: img.input.format,
      description: img.input.description,
      machine: img.input.machine ?? null,
      regions: img.input.regions.map((r) => ({ paddr: hex(r.paddr), size: hex(r.size), stored: hex(r.stored) })),
    },
    root: { paddr: hex(img.root), source: img.source, detail: img.detail },
    tables: img.opened.map((t) => ({
      mode: t.mode.id,
      title: t.mode.meta.name,
      levels: t.mode.levels,
      root: hex(t.root),
      upper: t.upper,
      register: t.mode.register(t.root, t.upper),
    })),
    upper: img.upper,
  };
}

/**
 * Audits every table of the image in VA order (AArch64: TTBR0, then TTBR1)
 * into one sink, and sums what each counted.
 */
export function auditImage(args: ImageArgs, img: OpenedImage, sink: AuditSink, filter: LeafFilter): Audit {
  const has = (f: number) => img.memory.frameWord(f) >= 0;
  let total: Audit | undefined;
  for (const t of img.opened) {
    const a = auditTables(t.mode, t.pt, has, t.upper ? t.mode.upperBits : 0n, sink, {
      filter,
      leafFlags: img.leafFlags,
      maxEntries: args.maxEntries,
    });
    total = total === undefined ? a : sumAudits(total, a);
    if (a.stopped !== undefined) break;
  }
  return total as Audit;
}

/**
 * Entries the alias scan may visit: it keeps every path to a shared table in
 * memory, so it gets a budget of its own, well inside a small heap.
 */
const ALIAS_BUDGET = 1 << 22;

/**
 * The tables of the image that more than one entry reaches (aliases), with
 * the VAs that reach each, in VA order; undefined when the tables have more
 * entries than the alias scan's budget (it would hold every path in memory).
 */
export function imageAliases(args: ImageArgs, img: OpenedImage): Array<{ paddr: bigint; vas: bigint[] }> | undefined {
  const out: Array<{ paddr: bigint; vas: bigint[] }> = [];
  const maxEntries = Math.min(args.maxEntries ?? ALIAS_BUDGET, ALIAS_BUDGET);
  try {
    for (const t of img.opened) {
      const upperBits = t.upper ? t.mode.upperBits : 0n;
      for (const a of t.pt.aliases({ maxEntries }))
        out.push({ paddr: BigInt(a.paddr), vas: a.reaches.map((r) => displayVa(r.va, upperBits)) });
    }
  } catch (e) {
    if (e instanceof WalkBudgetError) return undefined;
    throw e;
  }
  return out;
}

/**
 * The exit status of a walk: 0, or 1 with one line on stderr saying how far
 * the walk got when the work budget stopped it (what came before is out).
 */
export function budgetExit(
  ctx: Context,
  args: ImageArgs,
  stopped: { entries: number; at: bigint } | undefined,
): number {
  if (stopped === undefined) return 0;
  const budget = args.maxEntries === undefined ? 'the default --max-entries' : `--max-entries ${args.maxEntries}`;
  ctx.io.stderr.write(
    `ptm: error: the walk stopped after ${stopped.entries} entries (${budget}) at VA ${hex(stopped.at)}; everything before it is listed (raise --max-entries for more)\n`,
  );
  return EXIT_FAILURE;
}

function sumAudits(a: Audit, b: Audit): Audit {
  const levels = Math.max(a.tablesPerLevel.length, b.tablesPerLevel.length);
  const tablesPerLevel = Array.from(
    { length: levels },
    (_, i) => (a.tablesPerLevel[i] ?? 0) + (b.tablesPerLevel[i] ?? 0),
  );
  const addTallies = <K>(x: Map<K, Tally>, y: Map<K, Tally>) => {
    const out = new Map<K, Tally>();
    for (const [k, t] of x) out.set(k, { ...t });
    for (const [k, t] of y) {
      const o = out.get(k);
      if (o === undefined) out.set(k, { ...t });
      else {
        o.leaves += t.leaves;
        o.bytes += t.bytes;
      }
    }
    return out;
  };
  const problemKinds = new Map(a.problemKinds);
  for (const [k, n] of b.problemKinds) problemKinds.set(k, (problemKinds.get(k) ?? 0) + n);
  return {
    tablesPerLevel,
    leaves: a.leaves + b.leaves,
    mappedBytes: a.mappedBytes + b.mappedBytes,
    bySize: addTallies(a.bySize, b.bySize),
    byFlags: new Map([...addTallies(a.byFlags, b.byFlags)].sort((x, y) => x[0] - y[0])),
    rows: a.rows + b.rows,
    problems: a.problems + b.problems,
    problemKinds,
    restricted: a.restricted + b.restricted,
    stopped: a.stopped ?? b.stopped,
  };
}

/**
 * The problems a command keeps while it streams: the first `keep` in full,
 * and a count of every one per kind.
 */
export class ProblemLog {
  /** The first problems, in walk order. */
  readonly kept: Problem[] = [];
  /** Problems seen in total. */
  count = 0;

  /** A log that keeps the first `keep` problems. */
  constructor(private readonly keep: number) {}

  /** Records one problem. */
  add(p: Problem): void {
    this.count++;
    if (this.kept.length < this.keep) this.kept.push(p);
  }

  /** Whether some problems were counted but not kept. */
  get overflowed(): boolean {
    return this.count > this.kept.length;
  }
}

/** The JSON form of a problem. */
export function problemJson(p: Problem): Record<string, unknown> {
  return {
    kind: p.kind,
    level: p.level,
    table: p.table,
    index: p.index,
    entryPa: hex(p.entryPa),
    entry: hex(p.entry),
    va: hex(p.va),
    target: hex(p.target),
    message: p.message,
  };
}

/**
 * The lines listing problems (none when there are none): the kept ones, then
 * how many more of each kind there were.
 */
export function problemLines(ctx: Context, log: ProblemLog, kinds: ReadonlyMap<ProblemKind, number>): string[] {
  if (log.count === 0) return [];
  const { style } = ctx;
  const lines = ['', style.yellow(style.bold(`${log.count} ${log.count === 1 ? 'entry' : 'entries'} not followed:`))];
  for (const p of log.kept) lines.push(`  ${style.yellow('!')} ${p.message}`);
  if (log.overflowed) {
    const shown = new Map<ProblemKind, number>();
    for (const p of log.kept) shown.set(p.kind, (shown.get(p.kind) ?? 0) + 1);
    const more = [...kinds].map(([k, n]) => [k, n - (shown.get(k) ?? 0)] as const).filter(([, n]) => n > 0);
    lines.push(
      `  ${style.yellow('!')} … and ${log.count - log.kept.length} more (${more.map(([k, n]) => `${n} ${k}`).join(', ')}; --json lists every one)`,
    );
  }
  return lines;
}

/** The text of every `--json` output: two-space indented. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
