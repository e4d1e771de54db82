// The runs kept in this browser's storage: name, preset, data and last checkpoint, with Resume and
// Delete; and the place of a run archive's Download/Upload (disabled until that module exists).
import { fill, h } from '../dashboard/dom.js';
import type { BrowserRuns, StoredRun } from './browserStore.js';

export interface StoredRunsActions {
  resume(name: string): void;
  remove(name: string): void;
}

export class StoredRunsView {
  readonly el: HTMLElement;
  private readonly body = h('div', { class: 'run-rows' });
  private readonly where = h('span', { class: 'muted' });
  private busy = false;
  private runs: StoredRun[] = [];

  constructor(private readonly storage: BrowserRuns, private readonly actions: StoredRunsActions) {
    // a run's .zip (packing and unpacking) is the next piece of work; the buttons show where it goes
    const soon = 'coming next';
    this.el = h('section', { class: 'card stored-runs' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Runs in this browser'), this.where,
        h('div', { class: 'head-actions' },
          h('button', { type: 'button', id: 'download-run', disabled: true, title: soon }, 'Download run (.zip)'),
          h('button', { type: 'button', id: 'upload-run', disabled: true, title: soon }, 'Upload run (.zip)'))),
      this.body);
    this.where.textContent = storage.kind === 'opfs' ? 'kept in the Origin Private File System' : 'kept in IndexedDB';
  }

  /** While a run trains, Resume and Delete wait. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    this.render();
  }

  async refresh(): Promise<StoredRun[]> {
    this.runs = await this.storage.list();
    this.render();
    return this.runs;
  }

  private render(): void {
    if (this.runs.length === 0) {
      fill(this.body, h('p', { class: 'muted empty' }, 'No runs yet. A run started here keeps its checkpoints, samples and log in this browser, and can be resumed after a reload.'));
      return;
    }
    fill(this.body, h('table', { class: 'runs' },
      h('thead', {}, h('tr', {}, ['Run', 'Preset', 'Data', 'Checkpoint', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, this.runs.map((r) => {
        const complete = r.lastStep !== null && r.steps !== null && r.lastStep >= r.steps;
        return h('tr', { 'data-run': r.name },
          h('td', { class: 'name' }, r.name),
          h('td', {}, r.preset ?? '–'),
          h('td', {}, r.data ?? '–'),
          h('td', { class: 'num' }, r.lastStep === null ? 'none yet' : `step ${r.lastStep.toLocaleString('en')}${r.steps ? ` of ${r.steps.toLocaleString('en')}` : ''}`),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'resume', disabled: this.busy || complete || r.steps === null, title: complete ? 'finished' : 'continue from the last checkpoint', onclick: () => this.actions.resume(r.name) }, complete ? 'Finished' : 'Resume'),
            h('button', { type: 'button', class: 'delete subtle', disabled: this.busy, onclick: () => {
              if (confirm(`Delete the run ${r.name} and all its files from this browser?`)) this.actions.remove(r.name);
            } }, 'Delete')));
      }))));
  }
}
