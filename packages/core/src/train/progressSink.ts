/** Where the loop reports progress: the terminal's bar and lines in Node, the page's status in a browser. */
export interface ProgressSink {
  /** Called on every step. */
  tick(step: number, rate: number, summary: string): void;
  /** A line that stays (logging steps, events). */
  line(text: string): void;
  done(): void;
}

export const silentProgress: ProgressSink = { tick() {}, line() {}, done() {} };
