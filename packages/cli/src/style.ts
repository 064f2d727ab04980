/**
 * Terminal styling: ANSI colours when writing to a terminal and `NO_COLOR`
 * is unset (https://no-color.org), plain text otherwise.
 *
 * @module
 */

/** Wraps text in one style; the identity when colour is off. */
export type Paint = (text: string) => string;

/** The styles the output uses. */
export interface Style {
  /** Whether colour is on. */
  readonly color: boolean;
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly blue: Paint;
  readonly magenta: Paint;
  readonly cyan: Paint;
}

const plain: Paint = (t) => t;

function sgr(on: number, off: number): Paint {
  return (t) => (t === '' ? t : `\x1b[${on}m${t}\x1b[${off}m`);
}

/** Styles that colour, or leave text plain when `color` is false. */
export function makeStyle(color: boolean): Style {
  if (!color) {
    return {
      color,
      bold: plain,
      dim: plain,
      red: plain,
      green: plain,
      yellow: plain,
      blue: plain,
      magenta: plain,
      cyan: plain,
    };
  }
  return {
    color,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
  };
}

/** Whether to colour a stream: it is a terminal and `NO_COLOR` is unset or empty. */
export function wantColor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** Text with its ANSI sequences removed (what a reader sees), for width computations and tests. */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
