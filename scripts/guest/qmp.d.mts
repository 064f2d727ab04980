// Types of qmp.mjs for the TypeScript tests that start QEMU.

/** A QMP connection (JSON lines) with HMP commands through `human-monitor-command`. */
export class Qmp {
  /** Connects to a unix socket path or a TCP address and negotiates capabilities. */
  static open(where: string | { host: string; port: number }, timeoutMs?: number): Promise<Qmp>;
  /** Runs a QMP command; resolves with its `return`, rejects with its `error`. */
  cmd(execute: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Runs an HMP command line and returns its text. */
  hmp(line: string): Promise<string>;
  close(): void;
}

/** A read-only GDB remote connection: target description and registers by name. */
export class GdbClient {
  static open(host: string, port: number, timeoutMs?: number): Promise<GdbClient>;
  registers(): Promise<Map<string, { num: number; bits: number }>>;
  read(names: readonly string[]): Promise<Record<string, bigint>>;
  close(): void;
}
