/** Decoding that ends sooner than this shows nothing (and a bad input keeps its one-line error). */
const SHOW_AFTER_MS = 1000;

/**
 * A progress bar on stderr for decoding many images, once decoding has taken a second:
 * redrawn in place on a terminal (at most ten times a second); on a log, one line when it
 * starts to show and one at the end.
 */
export class DecodeProgress {
  private done = 0;
  private lastDraw = 0;
  private shown = false;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string, private readonly total: number, private readonly enabled: boolean) {}

  tick(): void {
    this.done++;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < SHOW_AFTER_MS) return;
    if (!this.shown && !this.tty) process.stderr.write(`gantry: ${this.label}: decoding ${this.total} images (cached for the next run)\n`);
    this.shown = true;
    if (!this.tty || (now - this.lastDraw < 100 && this.done < this.total)) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((width * this.done) / this.total);
    const rate = this.done / Math.max(1e-3, (now - this.started) / 1000);
    const left = (this.total - this.done) / Math.max(rate, 1e-9);
    process.stderr.write(`\rgantry: ${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${this.done}/${this.total}, ${Math.round(rate)}/s, ${Math.ceil(left)} s left `);
  }

  finish(decoded: number): void {
    if (!this.shown) return;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`${this.tty ? '\n' : ''}gantry: ${this.label}: decoded ${decoded} of ${this.total} images in ${seconds} s (cached for the next run)\n`);
  }
}
