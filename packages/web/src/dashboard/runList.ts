import type { Change, RunState, RunSummary } from './api.js';
import { progress, stateBadge } from './badges.js';
import { fill, h } from './dom.js';
import { duration, int, num, when } from './format.js';
import type { AppContext, View } from './view.js';

interface Column {
  key: string;
  title: string;
  /** The value sorted by; null sorts last. */
  sort: (r: RunSummary) => number | string | null;
  cell: (r: RunSummary) => Node | string;
  numeric?: boolean;
}

const stateOrder: Record<RunState, number> = { running: 0, crashed: 1, diverged: 2, stopped: 3, finished: 4 };

const columns: Column[] = [
  { key: 'state', title: 'State', sort: (r) => stateOrder[r.state], cell: (r) => stateBadge(r.state) },
  {
    key: 'name',
    title: 'Run',
    sort: (r) => r.id.toLowerCase(),
    cell: (r) => h('a', { href: `#/run/${encodeURIComponent(r.id)}`, class: 'run-name', title: r.id }, r.id),
  },
  { key: 'preset', title: 'Preset', sort: (r) => r.preset, cell: (r) => r.preset ?? '–' },
  { key: 'data', title: 'Data', sort: (r) => r.data, cell: (r) => h('span', { class: 'data', title: r.data ?? '' }, r.data ?? '–') },
  { key: 'step', title: 'Step', sort: (r) => (r.totalSteps ? (r.step ?? 0) / r.totalSteps : null), cell: (r) => progress(r) },
  { key: 'eta', title: 'ETA', sort: (r) => r.etaSeconds, cell: (r) => (r.state === 'running' ? duration(r.etaSeconds) : '–'), numeric: true },
  { key: 'rate', title: 'img/s', sort: (r) => r.imagesPerSecond, cell: (r) => int(r.imagesPerSecond), numeric: true },
  { key: 'fid', title: 'FID', sort: (r) => r.lastFid?.value ?? null, cell: (r) => num(r.lastFid?.value), numeric: true },
  { key: 'best', title: 'Best FID', sort: (r) => r.bestFid?.value ?? null, cell: (r) => (r.bestFid ? h('span', { title: `at step ${r.bestFid.step}` }, num(r.bestFid.value)) : '–'), numeric: true },
  { key: 'started', title: 'Started', sort: (r) => r.startedAt, cell: (r) => h('span', { title: r.startedAt ?? '' }, when(r.startedAt)) },
  { key: 'duration', title: 'Duration', sort: (r) => r.durationSeconds, cell: (r) => duration(r.durationSeconds), numeric: true },
];

const states: RunState[] = ['running', 'finished', 'stopped', 'diverged', 'crashed'];

/** Every run under the root: sortable by any column, filtered by text and by state. */
export function runList(ctx: AppContext): View {
  let sortKey = 'started';
  let descending = true;
  let text = '';
  const shown = new Set<RunState>(states);

  const table = h('table', { class: 'runs' });
  const counts = h('div', { class: 'chips' });
  const search = h('input', {
    type: 'search',
    placeholder: 'Filter runs by name, preset, data…',
    'aria-label': 'filter runs',
    oninput: (e) => {
      text = (e.target as HTMLInputElement).value.trim().toLowerCase();
      render();
    },
  });
  const el = h('section', { class: 'view run-list' }, h('div', { class: 'toolbar' }, search, counts), h('div', { class: 'table-wrap' }, table));

  function sorted(): RunSummary[] {
    const col = columns.find((c) => c.key === sortKey) ?? columns[0];
    const rows = [...ctx.runs.values()].filter(
      (r) => shown.has(r.state) && (!text || [r.id, r.preset ?? '', r.data ?? '', r.state].some((s) => s.toLowerCase().includes(text))),
    );
    return rows.sort((a, b) => {
      const x = col.sort(a);
      const y = col.sort(b);
      if (x === y) return a.id.localeCompare(b.id);
      if (x === null) return 1;
      if (y === null) return -1;
      const d = x < y ? -1 : 1;
      return descending ? -d : d;
    });
  }

  function render(): void {
    const all = [...ctx.runs.values()];
    fill(
      counts,
      states.map((s) => {
        const n = all.filter((r) => r.state === s).length;
        return h(
          'button',
          {
            class: `chip state-${s}${shown.has(s) ? ' on' : ''}`,
            'aria-pressed': shown.has(s) ? 'true' : 'false',
            title: `show ${s} runs`,
            onclick: () => {
              if (shown.has(s)) shown.delete(s);
              else shown.add(s);
              render();
            },
          },
          `${s} `,
          h('b', {}, String(n)),
        );
      }),
    );
    if (all.length === 0) {
      fill(
        table,
        h('tbody', {}, h('tr', {}, h('td', { class: 'empty' }, h('strong', {}, `No runs yet under ${ctx.root}`), h('p', {}, 'Start one and it appears here within a second:'), h('code', {}, `gantry train --preset seed-mlp --out ${ctx.root}/first-run`)))),
      );
      return;
    }
    const head = h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) =>
          h(
            'th',
            {
              class: `${c.numeric ? 'num ' : ''}${c.key === sortKey ? (descending ? 'sorted desc' : 'sorted asc') : ''}`,
              'data-col': c.key,
              onclick: () => {
                if (sortKey === c.key) descending = !descending;
                else {
                  sortKey = c.key;
                  descending = c.key === 'started' || c.key === 'fid' ? c.key === 'started' : false;
                }
                render();
              },
            },
            c.title,
          ),
        ),
      ),
    );
    const rows = sorted();
    const body = h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { class: 'empty', colspan: columns.length }, 'No run matches the filter.'))
        : rows.map((r) =>
            h(
              'tr',
              { 'data-run': r.id, class: `state-${r.state}`, onclick: (e) => !(e.target as HTMLElement).closest('a') && (location.hash = `#/run/${encodeURIComponent(r.id)}`) },
              columns.map((c) => h('td', { class: c.numeric ? 'num' : '', 'data-col': c.key }, c.cell(r))),
            ),
          ),
    );
    fill(table, head, body);
  }

  render();
  // relative times ("3 min ago") age even when nothing changes
  const tick = setInterval(render, 30000);
  return {
    el,
    onChange: (c: Change) => {
      if (c.type === 'run' || c.type === 'removed') render();
    },
    destroy: () => clearInterval(tick),
  };
}
