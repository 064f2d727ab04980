/**
 * The error type of a live gdbstub connection.
 *
 * @module
 */

/**
 * What went wrong with the peer:
 * - `Timeout`: no reply within the timeout (a silent or non-GDB peer).
 * - `Closed`: the connection ended while a reply was awaited.
 * - `Protocol`: a reply that breaks the protocol (bad framing, repeated bad checksums, malformed data).
 * - `Unsupported`: the stub lacks something needed (a target description, QEMU's physical-memory mode, a register).
 * - `TargetError`: the stub answered `E NN` (e.g. memory it cannot read).
 * - `Forbidden`: a packet that would resume or change the guest was refused before sending.
 */
export type GdbErrorKind = 'Timeout' | 'Closed' | 'Protocol' | 'Unsupported' | 'TargetError' | 'Forbidden';

/** Thrown by {@link GdbRemote} with a one-line message naming the packet and what the stub did. */
export class GdbError extends Error {
  /** The class of problem. */
  readonly kind: GdbErrorKind;

  /** An error of `kind` with a complete one-line `message`. */
  constructor(kind: GdbErrorKind, message: string) {
    super(message);
    this.name = 'GdbError';
    this.kind = kind;
  }
}
