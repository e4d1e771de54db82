import uPlot from 'uplot';
import './chart.css';
import { num } from './format.js';
import { smooth } from './smoothing.js';

/** One curve: a run's values of one metric over steps. */
export interface Line {
  label: string;
  x: Float64Array;
  y: Float64Array;
  /** Where the server merged points: each point's group mean, which the smoothed line averages. */
  mean?: Float64Array;
  color: string;
}

/** Colours for runs side by side, chosen to stay apart on dark and light backgrounds. */
export const palette = ['#f59e0b', '#38bdf8', '#a78bfa', '#34d399', '#f472b6', '#f87171', '#facc15', '#22d3ee', '#c084fc', '#4ade80'];

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * A uPlot chart of one metric: for each line the raw values, faint, and the smoothed ones on top
 * (as TensorBoard draws them). New data replaces the old in place; the width follows the card.
 */
export class Chart {
  private plot: uPlot | null = null;
  private shape = '';
  private readonly resize: ResizeObserver;

  constructor(readonly el: HTMLElement, private readonly height = 190) {
    this.resize = new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.height }));
    this.resize.observe(el);
  }

  private width(): number {
    return Math.max(200, this.el.clientWidth);
  }

  /** Total points drawn (tests read it to see a chart grow). */
  points = 0;

  set(lines: Line[], smoothing: number): void {
    // a handful of points (evaluations) is read point by point; smoothing them would only mislead
    const sparse = lines.every((l) => l.x.length < 80);
    if (sparse) smoothing = 0;
    // the faint line shows the envelope (every spike); the bold one averages the group means, not
    // the envelope's extremes, whose midpoint would pull it towards the spikes
    const tables: uPlot.AlignedData[] = lines.map((l) => [l.x, l.y, smooth(l.mean ?? l.y, smoothing)] as unknown as uPlot.AlignedData);
    const data = lines.length === 1 ? tables[0] : lines.length === 0 ? ([[]] as unknown as uPlot.AlignedData) : uPlot.join(tables);
    this.points = lines.reduce((n, l) => n + l.x.length, 0);
    this.el.dataset.points = String(this.points);
    const shape = JSON.stringify([lines.map((l) => [l.label, l.color]), sparse]);
    if (this.plot && shape === this.shape) {
      this.plot.setData(data);
      return;
    }
    this.shape = shape;
    this.plot?.destroy();
    const axis = cssVar('--muted') || '#8b93a7';
    const grid = cssVar('--grid') || 'rgba(140,150,170,0.15)';
    const series: uPlot.Series[] = [{ label: 'step', value: (_u, v) => (v === null ? '–' : Math.round(v).toLocaleString('en-US')) }];
    for (const l of lines) {
      series.push({ label: `${l.label} raw`, stroke: withAlpha(l.color, 0.28), width: 1, spanGaps: true, points: { show: false }, value: (_u, v) => num(v) });
      series.push({ label: l.label, stroke: l.color, width: 1.75, spanGaps: true, points: { show: sparse, size: 5, fill: l.color }, value: (_u, v) => num(v) });
    }
    const axes: uPlot.Axis[] = [
      { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif' },
      { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '11px system-ui, sans-serif', size: 52, values: (_u, vals) => vals.map((v) => num(v, 3)) },
    ];
    this.plot = new uPlot(
      { width: this.width(), height: this.height, series, axes, padding: [10, 22, 0, 2], legend: { live: true }, cursor: { drag: { x: true, y: false } }, scales: { x: { time: false } } },
      data,
      this.el,
    );
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
