/**
 * GDB remote serial protocol framing: `$data#cs` packets (cs = the sum of
 * the data bytes mod 256 as two hex digits), `+`/`-` acknowledgements,
 * `}` escapes (next byte XOR 0x20) and `*` run-length encoding in replies
 * (GDB manual, "Remote Protocol": Overview, Binary Data).
 *
 * @module
 */

/** Sum of `bytes` mod 256: a packet's checksum. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

const ESCAPED = new Set([0x23, 0x24, 0x7d, 0x2a]); // # $ } *

/** The framed packet for command `body` (ASCII), with the characters the protocol reserves escaped. */
export function framePacket(body: string): Uint8Array {
  const data: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`packet bodies are ASCII: ${JSON.stringify(body)}`);
    if (ESCAPED.has(c)) data.push(0x7d, c ^ 0x20);
    else data.push(c);
  }
  const bytes = Uint8Array.from(data);
  const cs = checksum(bytes).toString(16).padStart(2, '0');
  const out = new Uint8Array(bytes.length + 4);
  out[0] = 0x24;
  out.set(bytes, 1);
  out[bytes.length + 1] = 0x23;
  out[bytes.length + 2] = cs.charCodeAt(0);
  out[bytes.length + 3] = cs.charCodeAt(1);
  return out;
}

/** A reply's data with `}` escapes and `*` run-length encoding undone. */
export function decodeBody(raw: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === 0x7d && i + 1 < raw.length) out.push(raw[++i] ^ 0x20);
    else if (c === 0x2a && i + 1 < raw.length && out.length > 0) {
      const repeat = raw[++i] - 29;
      const last = out[out.length - 1];
      for (let k = 0; k < repeat; k++) out.push(last);
    } else out.push(c);
  }
  return Uint8Array.from(out);
}

/** What the peer sent: an acknowledgement, a packet (checked), or a notification (`%...`). */
export type PeerEvent =
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'packet'; data: Uint8Array; valid: boolean }
  | { kind: 'notification'; data: Uint8Array };

/** Splits the peer's byte stream into {@link PeerEvent}s, across arbitrary chunk boundaries. */
export class PacketReader {
  private state: 'idle' | 'body' | 'cs1' | 'cs2' = 'idle';
  private notification = false;
  private body: number[] = [];
  private cs = '';

  /** Feeds bytes; returns the events they complete. */
  push(chunk: Uint8Array): PeerEvent[] {
    const events: PeerEvent[] = [];
    for (const c of chunk) {
      switch (this.state) {
        case 'idle':
          if (c === 0x2b) events.push({ kind: 'ack' });
          else if (c === 0x2d) events.push({ kind: 'nak' });
          else if (c === 0x24 || c === 0x25) {
            this.notification = c === 0x25;
            this.body = [];
            this.state = 'body';
          }
          break;
        case 'body':
          if (c === 0x23) this.state = 'cs1';
          else this.body.push(c);
          break;
        case 'cs1':
          this.cs = String.fromCharCode(c);
          this.state = 'cs2';
          break;
        case 'cs2': {
          this.cs += String.fromCharCode(c);
          this.state = 'idle';
          const raw = Uint8Array.from(this.body);
          const valid = /^[0-9a-fA-F]{2}$/.test(this.cs) && Number.parseInt(this.cs, 16) === checksum(raw);
          if (this.notification) events.push({ kind: 'notification', data: decodeBody(raw) });
          else events.push({ kind: 'packet', data: decodeBody(raw), valid });
          break;
        }
      }
    }
    return events;
  }
}
