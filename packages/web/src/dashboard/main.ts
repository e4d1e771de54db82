// The dashboard page: a header, one view at a time chosen by the URL's hash (#/, #/run/ID,
// #/compare?runs=...), and one event stream that keeps every view current without reloading.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { fetchRuns, type Change, type RunSummary } from './api.js';
import { compareView } from './compare.js';
import { fill, h } from './dom.js';
import { runList } from './runList.js';
import { runView } from './runView.js';
import type { AppContext, View } from './view.js';

const ctx: AppContext = { runs: new Map<string, RunSummary>(), root: '' };
const app = document.getElementById('app')!;
const main = h('main', {});
const live = h('span', { class: 'live off', title: 'connecting to the server…' }, h('i', {}), 'connecting');
const rootLabel = h('span', { class: 'root', title: '' });
const nav = {
  runs: h('a', { href: '#/' }, 'Runs'),
  compare: h('a', { href: '#/compare' }, 'Compare'),
};
fill(app, h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/' }, h('span', { class: 'logo' }, 'G'), 'gantry', h('small', {}, 'dashboard')), h('nav', {}, nav.runs, nav.compare), rootLabel, live), main);

let view: View | null = null;

function route(): void {
  view?.destroy();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  nav.runs.classList.toggle('active', path === '/' || path.startsWith('/run/'));
  nav.compare.classList.toggle('active', path.startsWith('/compare'));
  if (path.startsWith('/run/')) {
    const id = decodeURIComponent(path.slice('/run/'.length));
    view = runView(ctx, id);
    document.title = `${id} · gantry`;
  } else if (path.startsWith('/compare')) {
    view = compareView(ctx, query);
    document.title = 'compare · gantry';
  } else {
    view = runList(ctx);
    document.title = 'runs · gantry';
  }
  fill(main, view.el);
  window.scrollTo(0, 0);
}

function apply(change: Change): void {
  if (change.type === 'run') ctx.runs.set(change.summary.id, change.summary);
  if (change.type === 'removed') ctx.runs.delete(change.id);
  view?.onChange(change);
}

function setLive(on: boolean): void {
  live.className = `live ${on ? 'on' : 'off'}`;
  live.title = on ? 'updates arrive as the runs write them' : 'lost the server; retrying';
  fill(live, h('i', {}), on ? 'live' : 'offline');
}

/** The event stream; on every (re)connect the run list is fetched whole, so nothing is missed while away. */
function connect(): void {
  const events = new EventSource('/api/events');
  events.addEventListener('hello', () => {
    setLive(true);
    void fetchRuns().then(({ root, runs }) => {
      ctx.root = root;
      rootLabel.textContent = root;
      rootLabel.title = `runs under ${root}`;
      const seen = new Set(runs.map((r) => r.id));
      for (const id of [...ctx.runs.keys()]) if (!seen.has(id)) apply({ type: 'removed', id });
      for (const r of runs) apply({ type: 'run', summary: r });
      if (!view) route();
    });
  });
  for (const type of ['run', 'removed', 'metrics', 'samples'] as const) {
    events.addEventListener(type, (e) => apply(JSON.parse((e as MessageEvent<string>).data) as Change));
  }
  events.onerror = () => setLive(false);
}

window.addEventListener('hashchange', route);
connect();
