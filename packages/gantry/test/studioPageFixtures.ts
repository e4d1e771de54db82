import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '../src/serve/http.js';
import { StudioSetCache, type BuiltSet } from '../src/studio/dataSets.js';
import { startStudio } from '../src/studio/server.js';

// The studio page in a real headless Chromium (Debian's), driven through the page's own scripting
// handle (globalThis.gantryStudio), which calls the code the buttons call.

export const chromiumPath = '/usr/bin/chromium';
export const skipWithoutChromium = existsSync(chromiumPath) ? false : `needs ${chromiumPath} (Debian's chromium package) to drive a real browser`;

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
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
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
