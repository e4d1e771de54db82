// The runs kept in this browser's storage: name, preset, data and last checkpoint, with Resume,
// Delete, and a run's ways in and out of the page (runTransfer.ts): Download run (.zip) per run and
// for the current one, Upload run (.zip), and Export generator (.zip) and Preview for a run with a
// checkpoint. What they do, or why they could not, is one line under the card's head.
import { fill, h } from '../dashboard/dom.js';
import type { BrowserRuns, StoredRun } from './browserStore.js';

export interface StoredRunsActions {
  resume(name: string): void;
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
            h('button', { type: 'button', class: 'resume', disabled: this.busy || complete || r.steps === null, title: complete ? 'finished' : 'continue from the last checkpoint', onclick: () => this.actions.resume(r.name) }, complete ? 'Finished' : 'Resume'),
            h('button', { type: 'button', class: 'download', disabled: this.busy, title: 'the run as a .zip, for gantry train --resume', onclick: () => void this.report(this.actions.download(r.name)) }, 'Download run (.zip)'),
            h('button', { type: 'button', class: 'export', disabled: this.busy || r.lastStep === null, title: 'the generator of the last checkpoint, as gantry export writes it', onclick: () => void this.report(this.actions.exportGenerator(r.name)) }, 'Export generator (.zip)'),
            h('button', { type: 'button', class: 'preview', disabled: this.busy || r.lastStep === null, title: 'the exported generator in the export page, in a new window', onclick: () => void this.report(this.actions.preview(r.name)) }, 'Preview'),
            h('button', { type: 'button', class: 'delete subtle', disabled: this.busy, onclick: () => {
              if (confirm(`Delete the run ${r.name} and all its files from this browser?`)) this.actions.remove(r.name);
            } }, 'Delete')));
      }))));
  }
}
