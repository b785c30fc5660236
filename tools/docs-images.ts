/**
 * Refreshes the README's pictures from a real run: a screenshot of its report.html (headless
 * Chromium) and three of its PNGs. Usage:
 *   node --import tsx tools/docs-images.ts runs/quick-… [plots folder, default: the run's plots/]
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [runFolder, plotsArgument] = process.argv.slice(2);
if (runFolder === undefined || !existsSync(join(runFolder, 'report.html'))) {
  console.error('usage: node --import tsx tools/docs-images.ts <run folder with report.html> [plots folder]');
  process.exit(2);
}
const copied = ['compare_depth_profile.png', 'compare_time_profile.png', 'grad_through_time_vanilla_no_mitigation.png'];
const plotsFolder = plotsArgument ?? join(runFolder, 'plots');
for (const name of copied) copyFileSync(join(plotsFolder, name), join('docs', name));

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`file://${resolve(runFolder, 'report.html')}`);
  // Charts draw as they scroll into view; the screenshot wants every one drawn.
  await page.evaluate('window.vanishing.drawAll().then(() => true)');
  await page.screenshot({ path: join('docs', 'report.png') });
} finally {
  await browser.close();
}
console.log(`docs/report.png and ${copied.map((name) => `docs/${name}`).join(', ')} written`);
