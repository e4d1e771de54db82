import { fetchMetrics, fetchRun, type Change, type RunDetail, type Series } from './api.js';
import { stateBadge } from './badges.js';
import { Chart, palette } from './chart.js';
import { flatten } from './configTable.js';
import { fill, h } from './dom.js';
import { metricTitle } from './metricNames.js';
import { smoothingControl } from './smoothingControl.js';
import type { AppContext, View } from './view.js';

/**
 * The compare view's place in the URL: `#/compare?runs=a,b&metric=loss/G`. Each run name is
 * percent-encoded before the names are joined, so a comma inside a name (`%2C`) is never taken
 * for the separator. A link made by hand or by a script may also name the runs one by one,
 * `#/compare?run=a&run=b`: each `run` is one name, whatever it holds (a comma included). Both
 * forms may be mixed; the runs come in the order given, each once.
 */
function readQuery(query: string): { runs: string[]; metric: string | null } {
  const runs: string[] = [];
  let metric: string | null = null;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (key === 'runs') runs.push(...value.split(',').map(decodeComponent).filter((r): r is string => Boolean(r)));
    if (key === 'run') {
      const run = decodeComponent(value);
      if (run) runs.push(run);
    }
    if (key === 'metric') metric = decodeComponent(value);
  }
  return { runs: [...new Set(runs)], metric };
}

function decodeComponent(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

// slashes stay readable: run names in subfolders and metric names hold them
const encodeComponent = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');

function writeQuery(runs: string[], metric: string | null): void {
  const parts: string[] = [];
  if (runs.length) parts.push(`runs=${runs.map(encodeComponent).join(',')}`);
  if (metric) parts.push(`metric=${encodeComponent(metric)}`);
  history.replaceState(null, '', `#/compare?${parts.join('&')}`);
}

/** Runs side by side: any metric overlaid, and where their configs differ. */
export function compareView(ctx: AppContext, query: string): View {
  const initial = readQuery(query);
  const chosen: string[] = [...initial.runs];
  let metric = initial.metric;
  let smoothing = Number(localStorage.getItem('gantry.smoothing') ?? '0.6');
  let showAll = false;
  let pickFilter = '';
  const details = new Map<string, RunDetail>();
  const series = new Map<string, Series | null>();
  let closed = false;

  const picker = h('div', { class: 'picker-list' });
  const metricSelect = h('select', {
    'aria-label': 'metric',
    onchange: (e) => {
      metric = (e.target as HTMLSelectElement).value;
      writeQuery(chosen, metric);
      series.clear();
      for (const id of chosen) void loadSeries(id);
      draw();
    },
  });
  const plotEl = h('div', { class: 'plot', 'data-metric': 'compare' });
  const legendEl = h('div', { class: 'compare-legend' });
  const diffEl = h('div', { class: 'card diff' });
  const chart = new Chart(plotEl, 340);
  const el = h(
    'section',
    { class: 'view compare-view' },
    h(
      'div',
      { class: 'compare-body' },
      h(
        'aside',
        { class: 'card picker' },
        h('h2', {}, 'Runs'),
        h('input', {
          type: 'search',
          placeholder: 'Filter…',
          'aria-label': 'filter runs to compare',
          oninput: (e) => {
            pickFilter = (e.target as HTMLInputElement).value.trim().toLowerCase();
            renderPicker();
          },
        }),
        picker,
      ),
      h(
        'div',
        { class: 'main-col' },
        h(
          'div',
          { class: 'card chart compare-chart' },
          h('div', { class: 'section-bar' }, h('label', { class: 'metric-pick' }, 'Metric', metricSelect), smoothingControl(smoothing, (v) => {
            smoothing = v;
            localStorage.setItem('gantry.smoothing', String(v));
            draw();
          })),
          legendEl,
          plotEl,
        ),
        diffEl,
      ),
    ),
  );

  const colorOf = (id: string) => palette[chosen.indexOf(id) % palette.length];

  function renderPicker(): void {
    const runs = [...ctx.runs.values()].filter((r) => !pickFilter || r.id.toLowerCase().includes(pickFilter)).sort((a, b) => a.id.localeCompare(b.id));
    if (ctx.runs.size === 0) {
      fill(picker, h('p', { class: 'muted' }, `No runs yet under ${ctx.root}.`));
      return;
    }
    fill(
      picker,
      runs.map((r) => {
        const on = chosen.includes(r.id);
        return h(
          'label',
          { class: `pick${on ? ' on' : ''}`, title: r.id, 'data-run': r.id },
          h('input', { type: 'checkbox', checked: on, onchange: () => toggle(r.id) }),
          h('i', { class: 'swatch', style: on ? `background:${colorOf(r.id)}` : '' }),
          h('span', { class: 'pick-name' }, r.id),
          stateBadge(r.state),
        );
      }),
    );
  }

  function toggle(id: string): void {
    const i = chosen.indexOf(id);
    if (i >= 0) chosen.splice(i, 1);
    else chosen.push(id);
    writeQuery(chosen, metric);
    renderPicker();
    void loadRun(id);
    draw();
    renderDiff();
  }

  async function loadRun(id: string): Promise<void> {
    if (!chosen.includes(id)) return;
    try {
      details.set(id, await fetchRun(id));
    } catch {
      return;
    }
    if (closed) return;
    renderMetricChoices();
    renderDiff();
    await loadSeries(id);
  }

  async function loadSeries(id: string): Promise<void> {
    if (!metric || !chosen.includes(id)) return;
    const key = metric;
    try {
      const m = await fetchMetrics(id, [key]);
      if (closed || key !== metric) return;
      series.set(id, m.series[key] ?? null);
      draw();
    } catch {
      // a vanished run draws nothing
    }
  }

  function renderMetricChoices(): void {
    const keys = [...new Set(chosen.flatMap((id) => details.get(id)?.metricKeys ?? []))].sort();
    if (!metric || !keys.includes(metric)) {
      const next = keys.includes('loss/G') ? 'loss/G' : keys[0] ?? null;
      if (next !== metric && next !== null && keys.length > 0 && (!metric || !keys.includes(metric))) {
        metric = next;
        writeQuery(chosen, metric);
        for (const id of chosen) void loadSeries(id);
      }
    }
    fill(metricSelect, keys.map((k) => h('option', { value: k, selected: k === metric }, `${metricTitle(k)}  (${k})`)));
  }

  function draw(): void {
    const lines = chosen.flatMap((id) => {
      const s = series.get(id);
      return s ? [{ label: id, x: s.x, y: s.y, mean: s.mean, color: colorOf(id) }] : [];
    });
    fill(
      legendEl,
      chosen.length === 0
        ? h('p', { class: 'muted' }, 'Choose two or more runs on the left to overlay their metrics.')
        : chosen.map((id) => h('span', { class: 'legend-item', title: id }, h('i', { class: 'swatch', style: `background:${colorOf(id)}` }), id, series.get(id) === null ? h('em', { class: 'muted' }, ' (no such metric)') : null)),
    );
    chart.set(lines, smoothing);
  }

  function renderDiff(): void {
    const runs = chosen.filter((id) => details.has(id));
    if (runs.length < 2) {
      fill(diffEl, h('h2', {}, 'Config differences'), h('p', { class: 'muted' }, 'Choose at least two runs to see where their settings differ.'));
      return;
    }
    const flats = runs.map((id) => flatten(details.get(id)!.config ?? {}));
    const keys = [...new Set(flats.flatMap((f) => [...f.keys()]))].sort();
    const differs = (k: string) => new Set(flats.map((f) => f.get(k) ?? '–')).size > 1;
    const rows = keys.filter((k) => showAll || differs(k));
    fill(
      diffEl,
      h(
        'div',
        { class: 'card-title' },
        h('h2', {}, 'Config differences'),
        h('label', { class: 'toggle' }, h('input', { type: 'checkbox', checked: showAll, onchange: (e) => ((showAll = (e.target as HTMLInputElement).checked), renderDiff()) }), 'show identical settings'),
      ),
      rows.length === 0
        ? h('p', { class: 'muted' }, 'The configs are identical.')
        : h(
            'div',
            { class: 'config-scroll wide' },
            h(
              'table',
              { class: 'config-table diff-table' },
              h('thead', {}, h('tr', {}, h('th', {}, 'setting'), runs.map((id) => h('th', { title: id }, h('i', { class: 'swatch', style: `background:${colorOf(id)}` }), id)))),
              h('tbody', {}, rows.map((k) => h('tr', { class: differs(k) ? 'differs' : '' }, h('th', { title: k }, k), flats.map((f) => h('td', { title: f.get(k) ?? '' }, f.get(k) ?? '–'))))),
            ),
          ),
    );
  }

  renderPicker();
  renderMetricChoices();
  draw();
  renderDiff();
  for (const id of chosen) void loadRun(id);

  const pending = new Set<string>();
  return {
    el,
    onChange(c: Change) {
      if (c.type === 'run' || c.type === 'removed') renderPicker();
      if (c.type === 'metrics' && chosen.includes(c.id) && !pending.has(c.id)) {
        pending.add(c.id);
        // fold a burst of appends into one fetch
        setTimeout(() => {
          pending.delete(c.id);
          if (!details.get(c.id)?.metricKeys.includes(metric ?? '')) void loadRun(c.id);
          else void loadSeries(c.id);
        }, 250);
      }
    },
    destroy() {
      closed = true;
      chart.destroy();
    },
  };
}
