/**
 * Aligned text tables: columns padded on the plain text, then painted, so
 * colour never shifts a column.
 *
 * @module
 */

import type { Paint } from './style.js';

/** A column: its header, alignment and optional paint for its cells. */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
  /** Paint of a cell, given its plain text (e.g. colouring permission letters). */
  readonly paint?: (text: string) => string;
}

/**
 * The lines of a table: a header row painted with `headerPaint`, then one row
 * per entry, columns separated by two spaces, each line indented by `indent`
 * and trimmed at the end.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  headerPaint: Paint,
  indent = '  ',
): string[] {
  const widths = columns.map((c) => c.header.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], r[i].length);
  const line = (cells: readonly string[], header: boolean): string => {
    const parts = cells.map((text, i) => {
      const c = columns[i];
      const pad = ' '.repeat(widths[i] - text.length);
      const last = i === cells.length - 1;
      const painted = header ? headerPaint(text) : c.paint ? c.paint(text) : text;
      if (c.align === 'right') return pad + painted;
      return last ? painted : painted + pad;
    });
    return (indent + parts.join('  ')).trimEnd();
  };
  const out = [
    line(
      columns.map((c) => c.header),
      true,
    ),
  ];
  for (const r of rows) out.push(line(r, false));
  return out;
}
