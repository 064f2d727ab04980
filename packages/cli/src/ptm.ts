/**
 * The `ptm` binary: runs {@link mainAsync} on the process's arguments, writing
 * to file descriptors 1 and 2 synchronously.
 *
 * @module
 */

import { writeSync } from 'node:fs';
import { version } from '../package.json';
import { mainAsync } from './cli.js';
import type { OutStream } from './context.js';

/**
 * A stream that writes to `fd` before returning, so a dump of any length
 * holds at most one chunk: `process.stdout` on a pipe queues what the reader
 * has not taken yet, and a slow reader (`| less`) would grow the heap
 * without bound. A full non-blocking pipe (EAGAIN) is waited on a
 * millisecond at a time; a closed one (`| head`, EPIPE) ends ptm quietly, as
 * other Unix tools do.
 */
function fdStream(fd: number, isTTY: boolean): OutStream {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    isTTY,
    write(text: string) {
      const bytes = Buffer.from(text, 'utf8');
      let done = 0;
      while (done < bytes.length) {
        try {
          done += writeSync(fd, bytes, done);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
          else if (code === 'EPIPE') process.exit(0);
          else throw e;
        }
      }
    },
  };
}

const io = {
  stdout: fdStream(1, process.stdout.isTTY === true),
  stderr: fdStream(2, process.stderr.isTTY === true),
  env: process.env,
};
mainAsync(process.argv.slice(2), io, version).then((status) => {
  process.exitCode = status;
});
