/**
 * Output that streams: lines gathered into chunks of about 64 KiB and
 * written as they fill, so a dump of millions of rows needs memory for one
 * chunk, never for the whole output.
 *
 * @module
 */

import type { OutStream } from './context.js';

/** Characters gathered before a write. */
const CHUNK = 1 << 16;

/** Writes lines to a stream in chunks; call {@link LineWriter.flush} at the end. */
export class LineWriter {
  private parts: string[] = [];
  private chars = 0;

  /** A writer to `out`. */
  constructor(private readonly out: OutStream) {}

  /** Adds one line (a newline is appended). */
  line(text: string): void {
    this.parts.push(text);
    this.chars += text.length + 1;
    if (this.chars >= CHUNK) this.flush();
  }

  /** Writes what is gathered. */
  flush(): void {
    if (this.parts.length === 0) return;
    this.out.write(`${this.parts.join('\n')}\n`);
    this.parts = [];
    this.chars = 0;
  }
}

/**
 * A JSON object written as it is built: fields two-space indented as
 * `JSON.stringify(…, null, 2)` writes them, and arrays whose items stream
 * one per line, so the text is valid JSON of any length in bounded memory.
 */
export class JsonWriter {
  // The last element written, held back until we know whether a comma follows it.
  private pending: string | undefined;
  private inArray = false;

  /** Starts the object on `w`. */
  constructor(private readonly w: LineWriter) {
    w.line('{');
  }

  /** A field of the top object. */
  field(name: string, value: unknown): void {
    if (this.inArray) throw new Error(`JsonWriter: field ${name} inside an array`);
    this.emit(`  ${JSON.stringify(name)}: ${JSON.stringify(value, null, 2).replaceAll('\n', '\n  ')}`);
  }

  /** Opens an array field; {@link item} adds to it, {@link close} ends it. */
  open(name: string): void {
    if (this.inArray) throw new Error(`JsonWriter: array ${name} inside an array`);
    this.emit(`  ${JSON.stringify(name)}: [`);
    this.w.line(this.pending as string);
    this.pending = undefined;
    this.inArray = true;
  }

  /** One item of the open array, on one line. */
  item(value: unknown): void {
    this.emit(`    ${JSON.stringify(value)}`);
  }

  /** Closes the open array. */
  close(): void {
    if (this.pending !== undefined) this.w.line(this.pending);
    this.pending = '  ]';
    this.inArray = false;
  }

  /** Ends the object and flushes the writer. */
  end(): void {
    if (this.inArray) this.close();
    if (this.pending !== undefined) this.w.line(this.pending);
    this.pending = undefined;
    this.w.line('}');
    this.w.flush();
  }

  private emit(text: string): void {
    if (this.pending !== undefined) this.w.line(`${this.pending},`);
    this.pending = text;
  }
}
