/**
 * A progress bar on stderr for decoding many images: redrawn in place on a terminal (at
 * most ten times a second), one line at the start and one at the end otherwise (logs).
 */
export class DecodeProgress {
  private done = 0;
  private lastDraw = 0;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string, private readonly total: number, private readonly enabled: boolean) {
    if (enabled && !this.tty) process.stderr.write(`gantry: ${label}: decoding ${total} images (cached for the next run)\n`);
  }

  tick(): void {
    this.done++;
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((width * this.done) / this.total);
    const rate = this.done / Math.max(1e-3, (now - this.started) / 1000);
    const left = (this.total - this.done) / Math.max(rate, 1e-9);
    process.stderr.write(`\rgantry: ${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${this.done}/${this.total}, ${Math.round(rate)}/s, ${Math.ceil(left)} s left `);
  }

  finish(): void {
    if (!this.enabled) return;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`${this.tty ? '\n' : ''}gantry: ${this.label}: decoded ${this.done} images in ${seconds} s\n`);
  }
}
