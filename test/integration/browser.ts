import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Headless Chromium (Debian's, installed by .ci/run) for the pages people open, and an axe-core
 * check of each page. CI always runs these; on a machine without Chromium they are reported as
 * skipped, naming what to install.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI)
  throw new Error(`CI needs Chromium at ${CHROMIUM} (apt-get install chromium)`);

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's own strict CSP
 * stays as it is) and fails on any serious or critical violation, naming each.
 */
export const expectAccessible = async (page: Page): Promise<void> => {
  await page.evaluate(axeSource);
  // A string, so that this file needs no DOM types: it runs in the page, not in Node.
  const violations = (await page.evaluate(
    'axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)',
  )) as AxeViolation[];
  const severe = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(severe).toEqual([]);
};

/** Errors the page reported (a CSP refusal of its own script shows up here). */
export const collectConsoleErrors = (page: Page): string[] => {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
};

/** eventually()'s budget for a workflow's outcome in these heavy files: a minute on a loaded machine. */
export const WORKFLOW_PATIENCE = { tries: 1200, intervalMs: 50 };

/** With SCREENSHOT_DIR set, a full-page screenshot to look at by eye (never committed). */
export const shoot = async (page: Page, name: string): Promise<void> => {
  const dir = process.env.SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
};
