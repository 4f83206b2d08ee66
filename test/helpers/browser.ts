// Debian's Chromium driven by playwright-core, for the studio's browser tests: where the
// browser is (or why the tests cannot run), a page that records every request it makes
// and every error it logs, and the built studio (web/dist), built on demand.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../src/config.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(packageRoot(), 'test-output', 'screenshots');
export const WEB_DIST = join(packageRoot(), 'web', 'dist');

/** Why the browser tests cannot run here, or undefined when they can. */
export function missingBrowser(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is missing (apt-get install chromium)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
}

/** Builds the studio into web/dist when it has not been built (`npm test` builds it first). */
export async function ensureStudioBuilt(): Promise<void> {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  const { build } = await import('vite');
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(packageRoot(), 'web', 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

export interface RecordedPage {
  page: Page;
  /** Every URL the page asked for, in order (documents, scripts, images, fetches, streams). */
  requests: string[];
  /** Uncaught errors and console errors, for tests to assert there are none. */
  problems: string[];
}

/** A page in `context` that records requests and problems; `expected` console errors are ignored. */
export async function recordedPage(context: BrowserContext, expected: RegExp[] = []): Promise<RecordedPage> {
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (!expected.some((pattern) => pattern.test(text))) problems.push(`console error: ${text}`);
  });
  return { page, requests, problems };
}

/** The requests that left `origin` (data: and blob: URLs stay in the page, so they are allowed). */
export function foreignRequests(requests: string[], origin: string): string[] {
  return requests.filter((url) => !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin);
}

/** A full-page screenshot from the top, once the images on screen have loaded. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  // Polled with evaluate: waitForFunction compiles its predicate in the page, which the
  // studio's CSP (no 'unsafe-eval') refuses.
  const loaded = '[...document.images].every((img) => img.complete || !img.offsetParent || img.getBoundingClientRect().top > innerHeight)';
  for (let i = 0; i < 100 && !(await page.evaluate<boolean>(loaded)); i++) await page.waitForTimeout(50);
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
