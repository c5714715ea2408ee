/**
 * Lines kept at the bottom of a terminal (the status of running queries) while other code writes
 * to the same terminal. Every write to stdout, and to stderr when it is the same terminal, first
 * erases the lines, then they are drawn again on the next turn of the event loop: neither the
 * script's output nor the status is ever garbled, and a burst of console.log costs one redraw.
 */
const ERASE_LINE = '\r\x1b[2K';
const UP_AND_ERASE = '\x1b[1A\x1b[2K';

export class LiveRegion {
  private drawn = 0;
  /** The last write left the cursor mid-line: drawing now would glue the status to it. */
  private midLine = false;
  private pending: NodeJS.Immediate | null = null;
  private closed = false;
  private readonly restore: (() => void)[] = [];
  private readonly put: (text: string) => void;

  /** `render(width)` gives the lines to show, each at most `width` characters. */
  constructor(private readonly out: NodeJS.WriteStream, private readonly render: (width: number) => string[], alsoWatch: readonly NodeJS.WriteStream[] = []) {
    const write = out.write;
    this.put = (text) => { if (text) Reflect.apply(write, out, [text]); };
    for (const stream of [out, ...alsoWatch]) this.intercept(stream);
  }

  draw(): void {
    if (this.closed || this.midLine) return;
    // One column short of the width: a line that fills the last column wraps on some terminals, and the erase would miss it.
    const width = Math.max(20, (this.out.columns || 80) - 1);
    const lines = this.render(width).map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l));
    this.put(this.eraseSequence() + lines.join('\n'));
    this.drawn = lines.length;
  }

  /** Text above the region, kept on the terminal (the closing line of a query). */
  print(text: string): void {
    this.erase();
    this.put(text.endsWith('\n') ? text : text + '\n');
    this.midLine = false;
    this.draw();
  }

  /** Erases the lines and gives the streams back; what is written afterwards goes straight through. */
  close(): void {
    if (this.closed) return;
    this.erase();
    this.closed = true;
    if (this.pending) clearImmediate(this.pending);
    for (const r of this.restore.splice(0)) r();
  }

  private erase(): void {
    this.put(this.eraseSequence());
    this.drawn = 0;
  }

  private eraseSequence(): string {
    return this.drawn === 0 ? '' : ERASE_LINE + UP_AND_ERASE.repeat(this.drawn - 1);
  }

  private intercept(stream: NodeJS.WriteStream): void {
    const original = stream.write;
    const region = this;
    stream.write = function write(this: NodeJS.WriteStream, ...args: unknown[]): boolean {
      region.erase();
      const ok = Reflect.apply(original, this, args) as boolean;
      const chunk = args[0];
      const length = typeof chunk === 'string' ? chunk.length : chunk instanceof Uint8Array ? chunk.byteLength : 0;
      if (length > 0) region.midLine = !endsWithNewline(chunk);
      region.later();
      return ok;
    } as typeof stream.write;
    this.restore.push(() => { stream.write = original; });
  }

  private later(): void {
    if (this.pending || this.closed) return;
    this.pending = setImmediate(() => { this.pending = null; this.draw(); });
    // A redraw is never a reason to keep the process alive.
    this.pending.unref();
  }
}

function endsWithNewline(chunk: unknown): boolean {
  if (typeof chunk === 'string') return chunk.endsWith('\n');
  return chunk instanceof Uint8Array && chunk[chunk.byteLength - 1] === 0x0a;
}
