import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../src/serve/http.js';
import { StudioSetCache, type BuiltSet } from '../src/studio/dataSets.js';
import { startStudio } from '../src/studio/server.js';

// The studio page in a real headless Chromium (Debian's), driven through the page's own scripting
// handle (globalThis.gantryStudio), which calls the code the buttons call.

const chromiumPath = '/usr/bin/chromium';
export const skipWithoutChromium = existsSync(chromiumPath) ? false : `needs ${chromiumPath} (Debian's chromium package) to drive a real browser`;

/** Headless Chromium with `gpuArgs` (how it may draw), and nothing that reaches the network on its own. */
export async function launchChromium(gpuArgs: readonly string[]): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', ...gpuArgs, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Only MNIST in data/index.json: the page trains on it, and the other sets need not be built. */
export class MnistOnly extends StudioSetCache {
  override async all(): Promise<BuiltSet[]> {
    return [await this.get('mnist')!];
  }
}

export interface StudioPage {
  studio: RunningServer;
  browser: Browser;
  page: Page;
  /** Script errors the page threw (a test asserts there were none). */
  errors: string[];
  close(): Promise<void>;
}

/**
 * The studio server in this process on a free port, and a page on it. WebGPU is turned on
 * (headless Chromium offers SwiftShader's software adapter where there is no GPU); WebGL runs on
 * SwiftShader through ANGLE.
 */
export async function openStudioPage(): Promise<StudioPage> {
  const studio = await startStudio({ port: 0 }, new MnistOnly(() => {}));
  const browser = await launchChromium(['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.setDefaultTimeout(120_000);
  await installApiShortcut(page);
  await gotoStudio(page, studio.url);
  return {
    studio, browser, page, errors,
    async close() {
      await browser.close();
      await studio.close();
    },
  };
}

/**
 * One page for all of a test file's tests: opened before the first, closed after the last, when
 * it asserts that the page threw no script error. Its fields are there once the file's before
 * hook has run (inside tests); without Chromium nothing opens, and the tests skip.
 */
export function studioPageForFile(): Readonly<Omit<StudioPage, 'close'>> {
  let opened: StudioPage | undefined;
  before(async () => {
    if (skipWithoutChromium) return;
    opened = await openStudioPage();
  });
  after(async () => {
    if (!opened) return;
    await opened.close();
    assert.deepEqual(opened.errors, [], 'no script error on the page');
  });
  const open = (): StudioPage => opened ?? assert.fail('the studio page is not open: it opens in the test file’s before hook');
  return {
    get studio() { return open().studio; },
    get browser() { return open().browser; },
    get page() { return open().page; },
    get errors() { return open().errors; },
  };
}

/** Loads (or reloads) the page and waits until it is ready. */
export async function gotoStudio(page: Page, url?: string): Promise<void> {
  if (url) await page.goto(url);
  else await page.reload();
  await page.waitForFunction(() => (globalThis as { gantryStudio?: { ready?: unknown } }).gantryStudio?.ready !== undefined);
  await page.evaluate(() => studioApi().ready);
}

/** What the page's handle answers (see packages/web/src/studio/main.ts, StudioApi). */
export interface PageState {
  phase: string; run: string | null; backend: string | null; step: number; steps: number; stepsPerSecond: number;
  message: string; errors: Record<string, string>; adapter: string;
}
export interface StoredRun { name: string; preset: string | null; data: string | null; steps: number | null; lastStep: number | null }
export type StartResult = { run: string } | { refused: Record<string, string> };

declare global {
  // the page's handle, as tests see it inside page.evaluate
  function studioApi(): {
    ready: Promise<void>;
    start(options: Record<string, unknown>): Promise<StartResult>;
    pause(): void;
    resume(name: string, options?: { backend?: string; steps?: number }): Promise<void>;
    waitForIdle(): Promise<PageState>;
    state(): PageState;
    runs(): Promise<StoredRun[]>;
    runFiles(name: string): Promise<Record<string, string>>;
    backends(): { name: string; available: boolean; detail: string }[];
    storage(): string;
  };
}

/** Makes `studioApi()` callable inside the page (it reads globalThis.gantryStudio). */
export async function installApiShortcut(page: Page): Promise<void> {
  await page.addInitScript(() => {
    (globalThis as unknown as { studioApi: () => unknown }).studioApi = () => (globalThis as unknown as { gantryStudio: unknown }).gantryStudio;
  });
}

export async function startRun(page: Page, options: Record<string, unknown>): Promise<StartResult> {
  return page.evaluate((o) => studioApi().start(o), options);
}

export async function waitForIdle(page: Page): Promise<PageState> {
  return page.evaluate(() => studioApi().waitForIdle());
}

/** A run's files in browser storage, path -> bytes. */
export async function runFiles(page: Page, name: string): Promise<Map<string, Buffer>> {
  const files = await page.evaluate((n) => studioApi().runFiles(n), name);
  return new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

/** Waits until the page's run has passed `step`. */
export async function waitForStep(page: Page, step: number): Promise<void> {
  await page.waitForFunction((s) => studioApi().state().step >= s || ['finished', 'failed'].includes(studioApi().state().phase), step, { polling: 50 });
}
