/**
 * `ptm`'s entry point as a function: arguments in, exit status out, every
 * error turned into one line on stderr.
 *
 * @module
 */

import { isPagingError } from '@page-table/core';
import { demoCommand } from './commands/demo.js';
import { dumpCommand } from './commands/dump.js';
import { findPaCommand } from './commands/find-pa.js';
import { statsCommand } from './commands/stats.js';
import { translateCommand } from './commands/translate.js';
import { type Context, type Io, makeContext } from './context.js';
import { CliError, EXIT_FAILURE, EXIT_INTERNAL, usageError } from './errors.js';
import { type LiveInput, withGdb } from './gdb.js';
import { COMMANDS, HELP } from './help.js';

type Command = (ctx: Context, argv: readonly string[]) => number;

const RUN: Readonly<Record<string, Command>> = {
  demo: demoCommand,
  dump: dumpCommand,
  translate: translateCommand,
  stats: statsCommand,
  'find-pa': findPaCommand,
};

/**
 * Runs `ptm` with `argv` (the arguments after the program name) and returns
 * the exit status: 0 done, 1 bad input data, 2 bad command line, 70 a bug.
 * Writes only to `io`; never throws.
 */
export function main(argv: readonly string[], io: Io, version = '0.0.0', live?: LiveInput): number {
  const ctx = makeContext(io, live);
  try {
    return dispatch(ctx, argv, version);
  } catch (e) {
    const [message, status] = describe(e);
    io.stderr.write(`ptm: error: ${message}\n`);
    if (status === EXIT_INTERNAL && io.env.PTM_DEBUG && e instanceof Error) io.stderr.write(`${e.stack}\n`);
    return status;
  }
}

/**
 * {@link main} for the binary: the same, plus `--gdb HOST:PORT` on `dump`,
 * `translate`, `stats` and `find-pa`, which talks to a live guest's gdbstub
 * and so cannot finish synchronously. Never rejects.
 */
export async function mainAsync(argv: readonly string[], io: Io, version = '0.0.0'): Promise<number> {
  const at = argv.findIndex((a) => a === '--gdb' || a.startsWith('--gdb='));
  if (at < 0 || !LIVE_COMMANDS.has(argv[0] ?? '') || argv.includes('--help') || argv.includes('-h'))
    return main(argv, io, version);
  const address = argv[at] === '--gdb' ? argv[at + 1] : argv[at].slice('--gdb='.length);
  const rest = argv.filter((_, i) => i !== at && !(argv[at] === '--gdb' && i === at + 1));
  try {
    if (address === undefined || address === '' || address.startsWith('-'))
      throw usageError(`option --gdb needs a value (see ptm ${argv[0]} --help)`);
    if (rest.some((a) => a === '--image' || a.startsWith('--image=')))
      throw usageError('--gdb and --image both give the memory: use one of them');
    return await withGdb(address, rest, io, (a, i, live) => main(a, i, version, live));
  } catch (e) {
    const [message, status] = describe(e);
    io.stderr.write(`ptm: error: ${message}\n`);
    return status;
  }
}

/** The commands that read a live guest with `--gdb`. */
const LIVE_COMMANDS: ReadonlySet<string> = new Set(['dump', 'translate', 'stats', 'find-pa']);

function dispatch(ctx: Context, argv: readonly string[], version: string): number {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    ctx.print(`ptm ${version}`);
    return 0;
  }
  if (first === undefined || first.startsWith('-')) {
    if (first === '--help' || first === '-h') return help(ctx, '');
    return run(ctx, 'demo', argv);
  }
  if (first === 'help') {
    const topic = rest[0] === undefined || rest[0] === 'help' ? '' : rest[0];
    if (!Object.hasOwn(HELP, topic)) throw usageError(`no help for '${topic}' (commands: ${COMMANDS.join(', ')})`);
    return help(ctx, topic);
  }
  if (!Object.hasOwn(RUN, first)) {
    throw usageError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')}; see ptm --help)`);
  }
  return run(ctx, first, rest);
}

function run(ctx: Context, command: string, argv: readonly string[]): number {
  // `--help` anywhere asks for help, whatever else is on the line.
  if (argv.includes('--help') || argv.includes('-h')) return help(ctx, command);
  return RUN[command](ctx, argv);
}

function help(ctx: Context, topic: string): number {
  ctx.print(HELP[topic]);
  return 0;
}

/** The one-line message and exit status of anything a command threw. */
function describe(e: unknown): [string, number] {
  if (e instanceof CliError) return [e.message, e.exitCode];
  if (isPagingError(e)) return [e.message, EXIT_FAILURE];
  if (isFsError(e)) return [e.message, EXIT_FAILURE];
  const message = e instanceof Error ? e.message : String(e);
  return [`internal: ${message.split('\n')[0]} (set PTM_DEBUG=1 for a stack trace)`, EXIT_INTERNAL];
}

function isFsError(e: unknown): e is Error {
  return e instanceof Error && typeof (e as { syscall?: unknown }).syscall === 'string';
}
