// The runs kept in this browser's storage: name, preset, data and last checkpoint, with Resume (or,
// for a finished run, Continue to a new total), Delete, and a run's ways in and out of the page
// (runTransfer.ts): Download run (.zip) per run and for the current one, Upload run (.zip), and
// Export generator (.zip) and Preview for a run with a checkpoint. What they do, or why they could
// not, is one line under the card's head.
import { fill, h } from '../dashboard/dom.js';
import type { BrowserRuns, StoredRun } from './browserStore.js';

export interface StoredRunsActions {
  resume(name: string): void;
  /** Continue: a finished run on to the new total; resolves to the line to show, rejects with the refusal. */
  continueTo(name: string, total: number): Promise<string>;
  remove(name: string): void;
  /** The actions below resolve to the line to show, and reject with the one-line reason they failed. */
  download(name: string): Promise<string>;
  upload(file: File): Promise<string>;
  exportGenerator(name: string): Promise<string>;
  preview(name: string): Promise<string>;
  /** The run the head's Download button downloads: the current (or last) run, if any. */
  current(): string | null;
}

export class StoredRunsView {
  readonly el: HTMLElement;
  private readonly body = h('div', { class: 'run-rows' });
  private readonly where = h('span', { class: 'muted' });
  private busy = false;
  private runs: StoredRun[] = [];
  /** What was typed in a finished run's "Continue to", kept while the rows are drawn again. */
  private readonly totals = new Map<string, string>();

  private readonly uploadInput = h('input', { type: 'file', id: 'upload-input', accept: '.zip,application/zip', hidden: true }) as HTMLInputElement;
  private readonly downloadCurrent = h('button', { type: 'button', id: 'download-run', title: 'the current run as a .zip, for gantry train --resume' }, 'Download run (.zip)') as HTMLButtonElement;
  /** The last transfer's outcome (role=status), or its one-line error (class error). */
  readonly message = h('p', { class: 'muted transfer-message', id: 'runs-message', role: 'status' });

  constructor(private readonly storage: BrowserRuns, private readonly actions: StoredRunsActions) {
    this.downloadCurrent.addEventListener('click', () => {
      const name = this.actions.current();
      if (name) void this.report(this.actions.download(name));
    });
    this.uploadInput.addEventListener('change', () => {
      const file = this.uploadInput.files?.[0];
      this.uploadInput.value = ''; // the same file can be chosen again
      if (file) void this.report(this.actions.upload(file));
    });
    const upload = h('button', { type: 'button', id: 'upload-run', title: 'a run zip (from Download run, or zip -r of a gantry train --out folder)', onclick: () => this.uploadInput.click() }, 'Upload run (.zip)');
    this.el = h('section', { class: 'card stored-runs' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Runs in this browser'), this.where,
        h('div', { class: 'head-actions' }, this.downloadCurrent, upload, this.uploadInput)),
      this.message,
      this.body);
    this.where.textContent = storage.kind === 'opfs' ? 'kept in the Origin Private File System' : 'kept in IndexedDB';
  }

  /** Shows what an action did, or its error, on the message line; resolves to whether it worked. */
  async report(action: Promise<string>): Promise<boolean> {
    this.message.classList.remove('error');
    this.message.textContent = '…';
    try {
      this.message.textContent = await action;
      return true;
    } catch (e) {
      this.message.textContent = (e as Error).message;
      this.message.classList.add('error');
      return false;
    } finally {
      await this.refresh();
    }
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
    // a run that is training changes as it is read: its files wait until it pauses or ends
    this.downloadCurrent.disabled = this.busy || !this.runs.some((r) => r.name === this.actions.current());
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
            complete ? this.continueControl(r) : h('button', { type: 'button', class: 'resume', disabled: this.busy || r.steps === null, title: 'continue from the last checkpoint', onclick: () => this.actions.resume(r.name) }, 'Resume'),
            h('button', { type: 'button', class: 'download', disabled: this.busy, title: 'the run as a .zip, for gantry train --resume', onclick: () => void this.report(this.actions.download(r.name)) }, 'Download run (.zip)'),
            h('button', { type: 'button', class: 'export', disabled: this.busy || r.lastStep === null, title: 'the generator of the last checkpoint, as gantry export writes it', onclick: () => void this.report(this.actions.exportGenerator(r.name)) }, 'Export generator (.zip)'),
            h('button', { type: 'button', class: 'preview', disabled: this.busy || r.lastStep === null, title: 'the exported generator in the export page, in a new window', onclick: () => void this.report(this.actions.preview(r.name)) }, 'Preview'),
            h('button', { type: 'button', class: 'delete subtle', disabled: this.busy, onclick: () => {
              if (confirm(`Delete the run ${r.name} and all its files from this browser?`)) this.actions.remove(r.name);
            } }, 'Delete')));
      }))));
  }

  /** A finished run's "Continue to" (double its total unless something else was typed) and Continue. */
  private continueControl(r: StoredRun): HTMLElement {
    const input = h('input', {
      type: 'number', class: 'continue-steps', min: r.lastStep! + 1, step: 1, value: this.totals.get(r.name) ?? String(2 * r.steps!),
      'aria-label': `Continue ${r.name} to this many steps`, disabled: this.busy,
      oninput: () => this.totals.set(r.name, input.value),
    });
    const go = async () => {
      // once it goes on, the typed total is spent: the next time it finishes, the default again
      if (await this.report(this.actions.continueTo(r.name, Number(input.value)))) this.totals.delete(r.name);
    };
    return h('span', { class: 'continue-to' },
      h('label', { class: 'muted' }, 'Continue to', input),
      h('button', { type: 'button', class: 'continue', disabled: this.busy, title: 'finished: train it on to the new total, as gantry train --resume --steps N', onclick: () => void go() }, 'Continue'));
  }
}
