import { fetchMetrics, fetchRun, fileUrl, type Change, type RunDetail, type RunSummary, type Series } from './api.js';
import { progress, stateBadge } from './badges.js';
import { Chart, palette } from './chart.js';
import { flatten } from './configTable.js';
import { fill, h } from './dom.js';
import { duration, int, num, when } from './format.js';
import { metricGroups, type ChartSpec } from './metricNames.js';
import { smoothingControl } from './smoothingControl.js';
import type { AppContext, View } from './view.js';

/** One run: header figures, a chart per metric, the sample grids with a step slider, checkpoints, config. */
export function runView(ctx: AppContext, id: string): View {
  const head = h('header', { class: 'run-head' });
  const chartsEl = h('div', { class: 'charts' });
  const samplesEl = h('div', { class: 'card samples' });
  const checkpointsEl = h('div', { class: 'card checkpoints' });
  const eventsEl = h('div', { class: 'card events' });
  const configEl = h('div', { class: 'card config' });
  let smoothing = Number(localStorage.getItem('gantry.smoothing') ?? '0.6');
  const control = smoothingControl(smoothing, (v) => {
    smoothing = v;
    localStorage.setItem('gantry.smoothing', String(v));
    drawCharts();
  });
  const el = h(
    'section',
    { class: 'view run-view', 'data-run': id },
    head,
    h('div', { class: 'run-body' }, h('div', { class: 'main-col' }, h('div', { class: 'section-bar' }, h('h2', {}, 'Metrics'), control), chartsEl), h('aside', { class: 'side-col' }, samplesEl, checkpointsEl, eventsEl, configEl)),
  );

  const charts = new Map<string, { chart: Chart; spec: ChartSpec }>();
  let series: Record<string, Series> = {};
  let detail: RunDetail | null = null;
  let sampleIndex = -1;
  let closed = false;

  function renderHead(s: RunSummary | undefined): void {
    if (!s) {
      fill(head, h('a', { href: '#/', class: 'back' }, '← Runs'), h('h1', {}, id), h('p', { class: 'muted' }, 'This run is not (or no longer) under the root folder.'));
      return;
    }
    const stat = (label: string, value: Node | string, title?: string) => h('div', { class: 'stat', title: title ?? '' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
    fill(
      head,
      h('a', { href: '#/', class: 'back' }, '← Runs'),
      h('div', { class: 'title-row' }, h('h1', { title: s.id }, s.id), stateBadge(s.state), h('a', { class: 'button', href: `#/compare?runs=${encodeURIComponent(s.id)}` }, 'Compare with…')),
      h('p', { class: 'muted sub' }, [s.preset ?? 'custom config', s.data ?? ''].filter(Boolean).join(' · '), ` · started ${when(s.startedAt)}`),
      h(
        'div',
        { class: 'stats' },
        stat('Progress', progress(s)),
        stat('ETA', s.state === 'running' ? duration(s.etaSeconds) : '–'),
        stat('Images/s', int(s.imagesPerSecond)),
        stat('FID (last)', num(s.lastFid?.value), s.lastFid ? `at step ${s.lastFid.step}` : 'no evaluation in this run (train with --eval-every N)'),
        stat('FID (best)', num(s.bestFid?.value), s.bestFid ? `at step ${s.bestFid.step}` : ''),
        stat('Training time', duration(s.durationSeconds)),
      ),
      s.tornLines > 0 ? h('p', { class: 'notice' }, `${s.tornLines} torn line${s.tornLines === 1 ? '' : 's'} in metrics.jsonl skipped (a process killed while writing).`) : null,
    );
  }

  function renderCheckpoints(s: RunSummary | undefined): void {
    const rows: Node[] = [];
    if (s?.latestCheckpoint !== null && s?.latestCheckpoint !== undefined) {
      rows.push(h('div', { class: 'kv' }, h('span', {}, 'Latest'), h('a', { href: fileUrl(`${s.id}/checkpoints/latest.json`), target: '_blank' }, `step ${int(s.latestCheckpoint)}`)));
    }
    if (s?.bestCheckpoint) {
      rows.push(h('div', { class: 'kv' }, h('span', {}, 'Best'), h('a', { href: fileUrl(`${s.id}/checkpoints/best.json`), target: '_blank' }, `step ${int(s.bestCheckpoint.step)} · ${s.bestCheckpoint.metric.toUpperCase()} ${num(s.bestCheckpoint.value)}`)));
    }
    fill(checkpointsEl, h('h2', {}, 'Checkpoints'), rows.length ? rows : h('p', { class: 'muted' }, 'No checkpoint written yet.'));
  }

  function renderSamples(): void {
    const steps = detail?.sampleSteps ?? [];
    if (steps.length === 0) {
      fill(samplesEl, h('h2', {}, 'Samples'), h('p', { class: 'muted' }, 'No sample grid yet; one is written every --sample-every steps.'));
      return;
    }
    if (sampleIndex < 0 || sampleIndex >= steps.length) sampleIndex = steps.length - 1;
    const img = h('img', { class: 'grid', alt: `samples at step ${steps[sampleIndex]}`, src: fileUrl(detail!.samplePaths[sampleIndex]) });
    const label = h('span', { class: 'sample-step' }, `step ${int(steps[sampleIndex])}`);
    const count = h('span', { class: 'muted' }, `${sampleIndex + 1} of ${steps.length}`);
    const slider = h('input', {
      type: 'range',
      min: 0,
      max: steps.length - 1,
      value: sampleIndex,
      'aria-label': 'sample step',
      oninput: (e) => {
        sampleIndex = Number((e.target as HTMLInputElement).value);
        img.src = fileUrl(detail!.samplePaths[sampleIndex]);
        img.alt = `samples at step ${steps[sampleIndex]}`;
        label.textContent = `step ${int(steps[sampleIndex])}`;
        count.textContent = `${sampleIndex + 1} of ${steps.length}`;
      },
    });
    fill(samplesEl, h('div', { class: 'card-title' }, h('h2', {}, 'Samples'), label), h('div', { class: 'grid-frame' }, img), h('div', { class: 'slider-row' }, slider, count));
  }

  function renderConfig(): void {
    const rows = [...flatten(detail?.config ?? {}).entries()];
    fill(
      configEl,
      h('h2', {}, 'Config'),
      rows.length === 0
        ? h('p', { class: 'muted' }, 'config.json not written yet.')
        : h('div', { class: 'config-scroll' }, h('table', { class: 'config-table' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { title: k }, k), h('td', { title: v }, v)))))),
    );
  }

  function renderEvents(): void {
    const events = detail?.events ?? [];
    eventsEl.hidden = events.length === 0;
    fill(eventsEl, h('h2', {}, 'Events'), h('ul', {}, events.slice(-20).map((e) => h('li', {}, h('b', {}, `step ${int(e.step)}`), ` ${e.event}`, e.detail ? h('span', { class: 'muted' }, ` (${e.detail})`) : null))));
  }

  function drawCharts(): void {
    const keys = Object.keys(series);
    if (keys.length === 0) {
      for (const c of charts.values()) c.chart.destroy();
      charts.clear();
      fill(chartsEl, h('p', { class: 'muted empty-charts' }, 'No metrics yet; the first line of metrics.jsonl appears after --log-every steps.'));
      return;
    }
    const groups = metricGroups(keys);
    const specs = groups.flatMap((g) => g.charts);
    const wanted = specs.map((c) => c.id).join('|');
    if (chartsEl.dataset.keys !== wanted) {
      for (const c of charts.values()) c.chart.destroy();
      charts.clear();
      chartsEl.dataset.keys = wanted;
      fill(
        chartsEl,
        groups.map((g) =>
          h(
            'div',
            { class: 'group' },
            h('h3', {}, g.title),
            h(
              'div',
              { class: 'chart-grid' },
              g.charts.map((spec) => {
                const plotEl = h('div', { class: 'plot', 'data-metric': spec.id });
                charts.set(spec.id, { chart: new Chart(plotEl), spec });
                return h('div', { class: 'card chart' }, h('div', { class: 'chart-title', title: spec.keys.join(', ') }, spec.title, h('code', {}, spec.keys.join(' · '))), plotEl);
              }),
            ),
          ),
        ),
      );
    }
    for (const { chart, spec } of charts.values()) {
      const lines = spec.keys.flatMap((k, i) => (series[k] ? [{ label: spec.labels[i], x: series[k].x, y: series[k].y, mean: series[k].mean, color: palette[i] }] : []));
      chart.set(lines, smoothing);
    }
  }

  let loading: Promise<void> | null = null;
  let again = false;
  /** Fetch the series again; calls while one is on its way are folded into one more. */
  function reloadMetrics(): void {
    if (loading) {
      again = true;
      return;
    }
    loading = fetchMetrics(id)
      .then((m) => {
        if (closed) return;
        series = m.series;
        drawCharts();
      })
      .catch(() => undefined)
      .finally(() => {
        loading = null;
        if (again && !closed) {
          again = false;
          reloadMetrics();
        }
      });
  }

  async function reloadDetail(): Promise<void> {
    try {
      const d = await fetchRun(id);
      if (closed) return;
      const atEnd = !detail || sampleIndex === detail.sampleSteps.length - 1;
      detail = d;
      if (atEnd) sampleIndex = d.sampleSteps.length - 1;
      renderSamples();
      renderConfig();
      renderEvents();
    } catch {
      // the run vanished; the head says so
    }
  }

  renderHead(ctx.runs.get(id));
  renderCheckpoints(ctx.runs.get(id));
  renderSamples();
  void reloadDetail();
  reloadMetrics();

  return {
    el,
    onChange(c: Change) {
      if (c.type === 'run' && c.summary.id === id) {
        renderHead(c.summary);
        renderCheckpoints(c.summary);
        if (detail && JSON.stringify(detail.summary.state) !== JSON.stringify(c.summary.state)) void reloadDetail();
      } else if (c.type === 'removed' && c.id === id) {
        renderHead(undefined);
      } else if (c.type === 'metrics' && c.id === id) {
        reloadMetrics();
        if (detail && c.lines < detail.summary.lines) void reloadDetail();
      } else if (c.type === 'samples' && c.id === id) {
        void reloadDetail();
      }
    },
    destroy() {
      closed = true;
      for (const c of charts.values()) c.chart.destroy();
    },
  };
}
