/**
 * `ptm dump`: the merged mappings of the tables in a RAM image, as QEMU's
 * `info mem` lists them, and the entries the walk could not follow.
 *
 * @module
 */

import { auditTables } from '../audit.js';
import type { Context } from '../context.js';
import { mappingJson, mappingTable } from '../mappings.js';
import { formatBytes, formatBytesApprox } from '../numbers.js';
import { IMAGE_OPTIONS, imageArgs, parse } from '../options.js';
import { headerLine, jsonEnvelope, jsonText, problemJson, problemLines, withImage } from './common.js';

/** Runs `ptm dump` with the arguments after the command name; returns the exit status. */
export function dumpCommand(ctx: Context, argv: readonly string[]): number {
  const p = parse('dump', argv, IMAGE_OPTIONS);
  const args = imageArgs(p, 'dump');
  return withImage(ctx, args, 'dumping', (img) => {
    const audit = auditTables(args.mode, img.pt, (f) => img.memory.has(f), args.upper);
    const rows = audit.rows;
    const tableFrames = audit.tablesPerLevel.reduce((a, b) => a + b, 0);
    if (args.json) {
      ctx.print(
        jsonText({
          ...jsonEnvelope('dump', args, img),
          mappings: rows.map(mappingJson),
          problems: audit.problems.map(problemJson),
          summary: { mappings: rows.length, mappedBytes: `0x${audit.mappedBytes.toString(16)}`, tableFrames },
        }),
      );
      return 0;
    }
    const { style } = ctx;
    const lines = [headerLine(ctx, args, img)];
    lines.push(...(rows.length > 0 ? mappingTable(rows, style) : [style.dim('  (no mappings)')]));
    lines.push(
      style.dim(
        `${rows.length} ${rows.length === 1 ? 'mapping' : 'mappings'}, ${formatBytesApprox(audit.mappedBytes)} mapped, ` +
          `${tableFrames} table ${tableFrames === 1 ? 'frame' : 'frames'} (${formatBytes(BigInt(tableFrames) * 4096n)})`,
      ),
    );
    lines.push(...problemLines(ctx, audit.problems));
    ctx.print(lines);
    return 0;
  });
}
