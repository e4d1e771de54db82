/**
 * Progress on the terminal: a bar with rate and ETA redrawn in place on a TTY, plain
 * lines otherwise (logs, CI). Writes to stderr so stdout stays clean for --json output.
 */
export class Progress {
  private readonly tty: boolean;
  private lastDraw = 0;
  private lastLine = '';

  constructor(private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {
    this.tty = Boolean(stream.isTTY);
  }

  /** Called on every step; redraws at most 10 times a second. */
  tick(step: number, rate: number, summary: string): void {
    if (this.quiet || !this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && step < this.total) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((width * step) / this.total);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const eta = rate > 0 ? formatDuration((this.total - step) / rate) : '?';
    this.lastLine = `[${bar}] ${step}/${this.total} ${rate.toFixed(1)} step/s ETA ${eta} ${summary}`;
    this.stream.write(`\r${this.lastLine.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }

  /** A line that stays (logging steps); on a TTY it is printed above the bar. */
  line(text: string): void {
    if (this.quiet) return;
    if (this.tty) this.stream.write(`\r\x1b[K${text}\n${this.lastLine ? this.lastLine.slice(0, (this.stream.columns ?? 120) - 1) : ''}`);
    else this.stream.write(text + '\n');
  }

  done(): void {
    if (!this.quiet && this.tty && this.lastLine) this.stream.write('\n');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
