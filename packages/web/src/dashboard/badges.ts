import type { RunState, RunSummary } from './api.js';
import { h } from './dom.js';

const stateHelp: Record<RunState, string> = {
  running: 'a training process holds the run now',
  finished: 'reached its planned steps or its quality target',
  stopped: 'stopped early with a checkpoint of its last step; continue with --resume',
  diverged: 'NaN or Inf in a loss or weight; rolled back to the last good checkpoint',
  crashed: 'ended without a final checkpoint (killed, or an error); --resume continues from the latest one',
};

export function stateBadge(state: RunState): HTMLElement {
  return h('span', { class: `badge state-${state}`, title: stateHelp[state], 'data-state': state }, state === 'running' ? h('i', { class: 'pulse' }) : null, state);
}

/** Progress bar with step/total. */
export function progress(r: RunSummary): HTMLElement {
  const frac = r.step !== null && r.totalSteps ? Math.min(1, r.step / r.totalSteps) : 0;
  return h(
    'div',
    { class: 'progress' },
    h('div', { class: 'bar' }, h('div', { class: `fill state-${r.state}`, style: `width:${(frac * 100).toFixed(1)}%` })),
    h('span', { class: 'steps' }, `${r.step?.toLocaleString('en-US') ?? '0'} / ${r.totalSteps?.toLocaleString('en-US') ?? '?'}`),
  );
}
