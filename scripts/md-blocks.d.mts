/** One runnable block of a Markdown file. */
export interface CodeBlock {
  /** `label:line`: the file and the line of the opening fence. */
  name: string;
  /** The line of the opening fence. */
  line: number;
  /** The program. */
  code: string;
  /** What stdout must contain, in order. */
  expected: string[];
}
/** The languages whose blocks are programs. */
export declare const RUNNABLE: ReadonlySet<string>;
/** The runnable blocks of the Markdown file at `path`, named `label:line`. */
export declare function codeBlocks(path: string, label: string): CodeBlock[];
/** Whitespace runs as one space. */
export declare function squash(s: string): string;
/** The first expected text that `stdout` lacks (each searched after the previous match), or undefined. */
export declare function missingOutput(stdout: string, expected: readonly string[]): string | undefined;
