// What a run looks like while it trains: step / total and steps per second as text, the losses
// and D's outputs as live uPlot charts (the dashboard's Chart), and the newest sample grid.
import type { MetricsRecord } from 'gantry-core/run/metricsLog.js';
import { Chart, type Line } from '../dashboard/chart.js';
import { h } from '../dashboard/dom.js';
import { BACKEND_TITLES, type PageBackend } from './backends.js';
import type { SessionState } from './session.js';

/** The charts: title, then [metric, label, colour] per line. */
const CHARTS: [string, [string, string, string][]][] = [
  ['Losses', [['loss/D', 'loss/D', '#f59e0b'], ['loss/G', 'loss/G', '#38bdf8']]],
  ['D’s outputs', [['D/real', 'D/real', '#34d399'], ['D/fake', 'D/fake', '#f472b6']]],
];

const PHASE_TEXT: Record<SessionState['phase'], string> = {
  idle: 'ready', starting: 'starting', training: 'training', pausing: 'pausing', paused: 'paused', finished: 'finished', failed: 'stopped',
};

export class TrainingView {
  readonly status: HTMLElement;
  readonly charts: HTMLElement;
  readonly samples: HTMLElement;
  readonly canvas = h('canvas', { id: 'sample-grid', width: 242, height: 242 });
  private readonly records: MetricsRecord[] = [];
  private readonly plots: Chart[] = [];
  private readonly stepEl = h('span', { class: 'big', id: 'status-step' }, '–');
  private readonly rateEl = h('span', { class: 'big', id: 'status-rate' }, '–');
  private readonly phaseEl = h('span', { class: 'phase', id: 'status-phase', 'data-phase': 'idle' }, 'ready');
  private readonly bar = h('div', { class: 'bar-fill' });
  private readonly backendEl = h('span', { id: 'status-backend' }, '–');
  private readonly adapterEl = h('span', { class: 'muted adapter', id: 'status-adapter' });
  private readonly messageEl = h('p', { class: 'message muted', id: 'status-message', role: 'status' });
  private readonly sampleCaption = h('p', { class: 'muted caption' }, 'The generator’s images for a fixed noise batch appear here as it trains.');
  private redraw = 0;

  constructor() {
    this.status = h('div', { class: 'status-block' },
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('span', { class: 'label' }, 'Step'), this.stepEl),
        h('div', { class: 'stat' }, h('span', { class: 'label' }, 'Steps / s'), this.rateEl),
        h('div', { class: 'stat' }, h('span', { class: 'label' }, 'Backend'), h('span', { class: 'backend-line' }, this.backendEl, this.adapterEl)),
        h('div', { class: 'stat' }, h('span', { class: 'label' }, 'State'), this.phaseEl)),
      h('div', { class: 'bar' }, this.bar),
      this.messageEl);
    const chartEls = CHARTS.map(([title]) => {
      const box = h('div', { class: 'chart', 'data-chart': title });
      return { title, box };
    });
    this.charts = h('section', { class: 'card charts' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Curves')),
      h('div', { class: 'chart-grid' }, chartEls.map(({ title, box }) => h('div', {}, h('h3', {}, title), box))));
    for (const { box } of chartEls) this.plots.push(new Chart(box, 150));
    this.samples = h('section', { class: 'card samples' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Samples'), h('span', { class: 'muted', id: 'sample-step' })),
      h('div', { class: 'sample-frame' }, this.canvas),
      this.sampleCaption);
  }

  /** The backend a run trains on, and what runs it (the GPU adapter's name). */
  showBackend(name: PageBackend | null, detail: string): void {
    this.backendEl.textContent = name ? BACKEND_TITLES[name] : '–';
    this.adapterEl.textContent = name && name !== 'cpu' ? detail : '';
    this.adapterEl.title = detail;
  }

  showState(s: SessionState): void {
    this.stepEl.textContent = s.steps > 0 ? `${s.step.toLocaleString('en')} / ${s.steps.toLocaleString('en')}` : '–';
    this.rateEl.textContent = s.stepsPerSecond > 0 ? s.stepsPerSecond.toFixed(s.stepsPerSecond < 10 ? 2 : 1) : '–';
    this.phaseEl.textContent = PHASE_TEXT[s.phase];
    this.phaseEl.dataset.phase = s.phase;
    this.bar.style.width = s.steps > 0 ? `${Math.min(100, (100 * s.step) / s.steps)}%` : '0';
    this.messageEl.textContent = s.message;
    this.messageEl.classList.toggle('error', s.phase === 'failed');
  }

  /** Starts the charts over (a new run), or from a resumed run's log so far. */
  reset(history: MetricsRecord[] = []): void {
    this.records.length = 0;
    this.records.push(...history.filter((r) => r.event === undefined));
    this.draw();
  }

  add(record: MetricsRecord): void {
    if (record.event !== undefined) return;
    this.records.push(record);
    // at most a redraw per frame: a fast backend logs faster than a chart needs
    if (!this.redraw) this.redraw = requestAnimationFrame(() => this.draw());
  }

  /** A new run: no grid until its first samples (a resumed run shows its last saved grid meanwhile). */
  clearSamples(): void {
    this.canvas.getContext('2d')!.clearRect(0, 0, this.canvas.width, this.canvas.height);
    delete this.canvas.dataset.step;
    (this.samples.querySelector('#sample-step') as HTMLElement).textContent = '';
    this.sampleCaption.textContent = 'The generator’s images for a fixed noise batch appear here as it trains.';
  }

  /** Shows a grid saved earlier (a PNG from the run's samples/). */
  async showSavedSamples(png: Uint8Array, step: number): Promise<void> {
    const bitmap = await createImageBitmap(new Blob([png as unknown as BlobPart], { type: 'image/png' }));
    this.canvas.width = bitmap.width;
    this.canvas.height = bitmap.height;
    this.canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    bitmap.close();
    this.sampleDrawn(step);
  }

  sampleDrawn(step: number): void {
    (this.samples.querySelector('#sample-step') as HTMLElement).textContent = `step ${step.toLocaleString('en')}`;
    this.sampleCaption.textContent = 'The generator’s images for the run’s fixed noise; saved as samples/step-N.png in the run.';
  }

  private draw(): void {
    this.redraw = 0;
    CHARTS.forEach(([, metrics], i) => {
      const lines: Line[] = metrics.map(([key, label, color]) => {
        const rows = this.records.filter((r) => typeof r[key] === 'number');
        return { label, color, x: Float64Array.from(rows, (r) => r.step), y: Float64Array.from(rows, (r) => r[key] as number) };
      });
      this.plots[i]!.set(lines, 0.6);
    });
  }
}
