/**
 * `ptm dump`: the merged mappings of the tables in a RAM image, as QEMU's
 * `info mem` lists them, and the entries the walk could not follow. Every
 * view streams: rows are written as the walk produces them, in bounded
 * memory whatever the number of rows.
 *
 * @module
 */

import type { Context } from '../context.js';
import { FILTER_OPTIONS, filterOption } from '../filter.js';
import { JsonWriter, LineWriter } from '../line-writer.js';
import { MappingTable, mappingJson } from '../mappings.js';
import { formatBytes, formatBytesApprox, hex } from '../numbers.js';
import { IMAGE_OPTIONS, imageArgs, parse } from '../options.js';
import {
  auditImage,
  budgetExit,
  HUMAN_PROBLEMS,
  headerLine,
  imageAliases,
  jsonHead,
  ProblemLog,
  problemJson,
  problemLines,
  withImage,
} from './common.js';

/** Problems the JSON view keeps while streaming the rows; beyond them a second walk lists every problem. */
const JSON_PROBLEMS = 1000;

/** The options of `ptm dump`: the image's and the filter's. */
export const DUMP_OPTIONS = { ...IMAGE_OPTIONS, ...FILTER_OPTIONS } as const;

/** Aliased tables listed for people (the JSON lists every one). */
const HUMAN_ALIASES = 20;
/** VAs listed per aliased table. */
const ALIAS_VAS = 8;

/** Runs `ptm dump` with the arguments after the command name; returns the exit status. */
export function dumpCommand(ctx: Context, argv: readonly string[]): number {
  const p = parse('dump', argv, DUMP_OPTIONS);
  const args = imageArgs(p, 'dump', ctx.live !== undefined);
  const filter = filterOption(p);
  return withImage(ctx, args, 'dumping', (img) => {
    const out = new LineWriter(ctx.io.stdout);
    if (args.json) {
      const json = new JsonWriter(out);
      for (const [k, v] of Object.entries(jsonHead('dump', img, filter))) json.field(k, v);
      const log = new ProblemLog(JSON_PROBLEMS);
      json.open('mappings');
      const audit = auditImage(
        args,
        img,
        { row: (r) => json.item(mappingJson(r)), problem: (x) => log.add(x) },
        filter,
      );
      json.close();
      json.open('problems');
      if (log.overflowed) auditImage(args, img, { problem: (x) => json.item(problemJson(x)) }, filter);
      else for (const x of log.kept) json.item(problemJson(x));
      json.close();
      const aliases = audit.stopped === undefined ? imageAliases(args, img) : undefined;
      json.open('aliases');
      for (const a of aliases ?? [])
        json.item({ table: hex(a.paddr), reaches: a.vas.length, vas: a.vas.slice(0, ALIAS_VAS * 8).map(hex) });
      json.close();
      const tableFrames = audit.tablesPerLevel.reduce((a, b) => a + b, 0);
      json.field('summary', {
        mappings: audit.rows,
        mappedBytes: hex(audit.mappedBytes),
        tableFrames,
        problems: audit.problems,
        restrictedLeaves: audit.restricted,
        aliasedTables: aliases === undefined ? null : aliases.length,
        complete: audit.stopped === undefined,
        stopped: audit.stopped === undefined ? null : { entries: audit.stopped.entries, va: hex(audit.stopped.at) },
      });
      json.end();
      return budgetExit(ctx, args, audit.stopped);
    }
    const { style } = ctx;
    out.line(headerLine(ctx, img, filter));
    const table = MappingTable.forWidths(style, img.mode.meta.paBits);
    out.line(table.header());
    const log = new ProblemLog(HUMAN_PROBLEMS);
    const audit = auditImage(args, img, { row: (r) => out.line(table.line(r)), problem: (x) => log.add(x) }, filter);
    if (audit.rows === 0) out.line(style.dim('  (no mappings)'));
    const tableFrames = audit.tablesPerLevel.reduce((a, b) => a + b, 0);
    out.line(
      style.dim(
        `${audit.rows} ${audit.rows === 1 ? 'mapping' : 'mappings'}, ${formatBytesApprox(audit.mappedBytes)} mapped, ` +
          `${tableFrames} table ${tableFrames === 1 ? 'frame' : 'frames'} (${formatBytes(BigInt(tableFrames) * 4096n)})`,
      ),
    );
    if (audit.restricted > 0) {
      out.line(
        style.dim(
          `${audit.restricted} leaves have fewer permissions than their own bits (tables above restrict them): "(leaf …)" shows their own`,
        ),
      );
    }
    for (const line of problemLines(ctx, log, audit.problemKinds)) out.line(line);
    if (audit.stopped === undefined) {
      const aliases = imageAliases(args, img);
      if (aliases === undefined)
        out.line(
          style.dim('shared tables not listed: the tables hold more entries than the alias scan keeps in memory'),
        );
      else for (const line of aliasLines(ctx, aliases)) out.line(line);
    }
    out.flush();
    return budgetExit(ctx, args, audit.stopped);
  });
}

/** The aliases as information: which tables several entries reach, and from which VAs. */
function aliasLines(ctx: Context, aliases: ReadonlyArray<{ paddr: bigint; vas: bigint[] }>): string[] {
  if (aliases.length === 0) return [];
  const { style } = ctx;
  const lines = [
    '',
    style.bold(
      `${aliases.length} ${aliases.length === 1 ? 'table is' : 'tables are'} shared (reached from several VAs, each listed above):`,
    ),
  ];
  for (const a of aliases.slice(0, HUMAN_ALIASES)) {
    const more = a.vas.length > ALIAS_VAS ? `, … (${a.vas.length} in all)` : '';
    lines.push(`  table ${hex(a.paddr)} from VA ${a.vas.slice(0, ALIAS_VAS).map(hex).join(', ')}${more}`);
  }
  if (aliases.length > HUMAN_ALIASES)
    lines.push(`  … and ${aliases.length - HUMAN_ALIASES} more (--json lists every one)`);
  return lines;
}
