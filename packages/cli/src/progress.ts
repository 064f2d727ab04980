/**
 * A progress line on stderr for long walks of big images: shown only on a
 * terminal, only once a walk has taken a moment, and erased when it ends.
 *
 * @module
 */

/** The part of a stream progress needs. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Milliseconds before the first update (short walks never show a line). */
const DELAY_MS = 300;
/** Milliseconds between updates. */
const INTERVAL_MS = 100;

/** Counts frames read from an image and redraws `ptm: <label>: N frames (X MiB)` at most ten times a second. */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly enabled = stream.isTTY === true,
  ) {}

  /** Reports the frames read so far (cheap when nothing is drawn). */
  update(frames: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < DELAY_MS || now - this.last < INTERVAL_MS) return;
    this.last = now;
    this.shown = true;
    const mib = (frames * 4096) / (1 << 20);
    this.stream.write(`\rptm: ${this.label}: ${frames} frames read (${mib.toFixed(1)} MiB)\x1b[K`);
  }

  /** Erases the line, if one was drawn. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
