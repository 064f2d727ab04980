import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (bound, then released for the caller to hand to the process it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * QEMU options for a guest with no display, serial port or monitor, driven only through QMP at `qmp` (a
 * character-device address such as `tcp:127.0.0.1:N,server=on,wait=off` or `unix:PATH,server=on,wait=off`)
 * and a gdbstub on 127.0.0.1:`gdbPort`.
 */
export function headlessQemuArgs(qmp: string, gdbPort: number): string[] {
  return ['-display', 'none', '-serial', 'none', '-monitor', 'none', '-qmp', qmp, '-gdb', `tcp:127.0.0.1:${gdbPort}`];
}
