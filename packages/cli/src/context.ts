/**
 * What every command gets: the streams, the environment and the styles, so
 * commands never touch `process` and can run in-process in tests.
 *
 * @module
 */

import type { LiveInput } from './gdb.js';
import { makeStyle, type Style, wantColor } from './style.js';

/** An output stream (`process.stdout` fits). */
export interface OutStream {
  /** Writes text (synchronously for files and pipes, as Node's stdout on Linux). */
  write(text: string): unknown;
  /** Whether the stream is a terminal (colour and progress lines only then). */
  readonly isTTY?: boolean;
}

/** The process around a run of `ptm`. */
export interface Io {
  /** Where results go. */
  readonly stdout: OutStream;
  /** Where errors, warnings and progress go. */
  readonly stderr: OutStream;
  /** The environment (`NO_COLOR`, `PTM_DEBUG`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A command's view of the run. */
export interface Context {
  readonly io: Io;
  /** Styles for stdout (plain unless stdout is a terminal and NO_COLOR is unset). */
  readonly style: Style;
  /** Writes lines to stdout, each followed by a newline. */
  print(lines: string | readonly string[]): void;
  /** Writes `ptm: warning: …` to stderr. */
  warn(message: string): void;
  /** A live guest (`--gdb`) whose frames replace `--image`, or undefined. */
  readonly live: LiveInput | undefined;
}

/** The context of one run. */
export function makeContext(io: Io, live?: LiveInput): Context {
  const style = makeStyle(wantColor(io.stdout.isTTY, io.env));
  return {
    io,
    style,
    live,
    print(lines) {
      if (typeof lines === 'string') {
        io.stdout.write(`${lines}\n`);
        return;
      }
      // Big dumps go out in chunks rather than one giant string.
      for (let i = 0; i < lines.length; i += 4096) io.stdout.write(`${lines.slice(i, i + 4096).join('\n')}\n`);
    },
    warn(message) {
      io.stderr.write(`ptm: warning: ${message}\n`);
    },
  };
}
