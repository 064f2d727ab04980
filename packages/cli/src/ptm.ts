/**
 * The `ptm` binary: runs {@link main} on the process's arguments and streams.
 *
 * @module
 */

import { version } from '../package.json';
import { main } from './cli.js';

// `ptm dump … | head` closes the pipe early: stop quietly, as other Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

process.exitCode = main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, version);
