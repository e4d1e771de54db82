// A stored run in and out of the page: Download (the run as a zip, which `unzip` and
// `gantry train --resume` continue), Upload (a run zip, from `zip -r` of a CLI run folder or
// from Download, into a new run here), and the run's generator: Export (the files
// `gantry export` writes, as a zip) and Preview (them in the export page).
import type { TrainConfig } from 'gantry-core/config.js';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { generatorFiles, type ExportedFile } from 'gantry-core/export/generatorFiles.js';
import { restoreVariables } from 'gantry-core/run/checkpointFormat.js';
import { RunCheckpoints } from 'gantry-core/run/checkpointStore.js';
import { MemoryRunStore, type RunStore } from 'gantry-core/run/store.js';
import { Gan } from 'gantry-core/train/gan.js';
import { useBackend } from './backends.js';
import { checkRunName, type BrowserRuns } from './browserStore.js';
import { exportGeneratorZip } from './exportGenerator.js';
import { openPreview } from './generatorPreview.js';
import { downloadRun, readRunZip, saveBlob } from './runArchive.js';
import type { StoredRunsActions } from './storedRuns.js';

export class RunTransfer {
  constructor(private readonly storage: BrowserRuns) {}

  /** Download run (.zip): NAME.zip with the run's files in NAME/. */
  async download(name: string): Promise<void> {
    await downloadRun(await this.storage.store(name), name);
  }

  /**
   * Upload run (.zip): checks the whole zip first (into memory; a zip that is not a run is refused
   * there, with nothing stored), then unpacks it into a new run named after its top folder.
   * Returns the run's name and the step its Resume continues from.
   */
  async upload(file: File): Promise<{ name: string; step: number | null }> {
    const checked = await readRunZip(file, new MemoryRunStore(file.name));
    const name = checked.name;
    const bad = checkRunName(name);
    if (bad) throw new Error(`the zip's run folder: ${bad}; rename the folder inside the zip`);
    if ((await this.storage.names()).includes(name)) throw new Error(`a run named ${name} is already in this browser; delete it first, or rename the zip's top folder`);
    try {
      await readRunZip(file, await this.storage.store(name));
    } catch (e) {
      await this.storage.remove(name); // unpackRun took back its files; the run's folder goes too
      throw e;
    }
    return { name, step: checked.step };
  }

  /** Export generator (.zip): the TF.js LayersModel, model.onnx and gantry.json of the run's newest checkpoint. */
  async exportZip(name: string): Promise<void> {
    const { gan, config, step } = await this.open(name);
    try {
      saveBlob(await exportGeneratorZip(gan, config, { format: 'all', name: `${name}-generator`, step }), `${name}-generator.zip`);
    } finally {
      gan.dispose();
    }
  }

  /** The export's files, as `gantry export --format all` writes them for the run's newest checkpoint (tests compare them). */
  async exportFiles(name: string): Promise<ExportedFile[]> {
    const { gan, config, step } = await this.open(name);
    try {
      return (await generatorFiles(gan, config, { format: 'all', step })).files;
    } finally {
      gan.dispose();
    }
  }

  /** exportFiles as path -> base64, for scripts (`gantryStudio.exportFiles`). */
  async exportFilesBase64(name: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const f of await this.exportFiles(name)) {
      let s = '';
      for (let i = 0; i < f.bytes.length; i += 0x8000) s += String.fromCharCode(...f.bytes.subarray(i, i + 0x8000));
      out[f.path] = btoa(s);
    }
    return out;
  }

  /** Preview: the export page in a new window, drawing this run's exported generator. */
  async preview(name: string): Promise<void> {
    openPreview(await this.exportFiles(name));
  }

  /**
   * The run's newest intact checkpoint in a Gan (as the CLI's openRun does from a run folder), on
   * TF.js's cpu backend: the weights are copied out exactly, whatever backend trained them.
   */
  private async open(name: string): Promise<{ gan: Gan; config: TrainConfig; step: number }> {
    const store: RunStore = await this.storage.store(name);
    const loaded = await new RunCheckpoints(store).load();
    const stored = loaded.manifest.config;
    if (typeof stored !== 'object' || stored === null) throw new Error(`checkpoint ${loaded.dir} holds no config; it is damaged`);
    const config = resolveTrainConfig({}, stored as never, `${loaded.dir}/manifest.json config`);
    await useBackend('cpu');
    const gan = new Gan(config);
    try {
      restoreVariables(loaded, gan.namedState());
      gan.restoreCounters(loaded.manifest.counters);
    } catch (e) {
      gan.dispose();
      throw e;
    }
    return { gan, config, step: loaded.manifest.step };
  }
}

/**
 * The stored runs' transfer buttons over `transfer`, each resolving to the line the page shows.
 * Nothing is read while a run trains: its files change under the reader, and Export and Preview
 * use TF.js's cpu backend, which would take the backend from under the training.
 */
export function transferActions(transfer: RunTransfer, page: { busy(): boolean; current(): string | null }): Pick<StoredRunsActions, 'download' | 'upload' | 'exportGenerator' | 'preview' | 'current'> {
  const idle = () => {
    if (page.busy()) throw new Error('a run is training; pause it first');
  };
  return {
    current: page.current,
    async download(name) {
      idle();
      await transfer.download(name);
      return `downloaded ${name}.zip: unzip it, then continue it with gantry train --resume --out ${name}`;
    },
    async upload(file) {
      idle();
      const { name, step } = await transfer.upload(file);
      return `uploaded ${name}${step === null ? ' (no checkpoint yet)' : ` at step ${step}`}: press its Resume to continue it here`;
    },
    async exportGenerator(name) {
      idle();
      await transfer.exportZip(name);
      return `exported ${name}-generator.zip: the TF.js model, model.onnx and gantry.json, as gantry export writes them`;
    },
    async preview(name) {
      idle();
      await transfer.preview(name);
      return `opened ${name}'s generator in the export page (a new window)`;
    },
  };
}
