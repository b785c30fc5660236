/**
 * Vega-Lite spec → SVG (vega, headless) → PNG (resvg), with the DejaVu fonts shipped through npm
 * so text renders the same on every machine. Charts are laid out at 2/3 of their pixel size and
 * rasterised at 1.5×: 1000×600 CSS pixels become the original's 10×6 in at 150 dpi (1500×900).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import { writeFileAtomically } from '../record/atomic-file.js';
import { subtitleFontSize } from './chart-kinds.js';
import { fontFamily, fontFiles, useFontMetrics } from './text-width.js';

export { fontFamily, fontFiles };

/** Pixels per CSS pixel of the SVG layout: 1.5 turns 1000 px wide into 1500 px (10 in at 150 dpi). */
export const rasterScale = 1.5;

/** Shared look of every chart: fonts, sizes and a white background a PNG needs. */
export const chartConfig = {
  font: fontFamily,
  background: 'white',
  title: { fontSize: 17, subtitleFontSize, subtitleColor: '#555', anchor: 'start' as const, offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 13, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  view: { stroke: '#ccc' },
};

/** The vega (not Vega-Lite) spec of a chart: what both the PNG and the HTML report render. */
export function compileChart(spec: TopLevelSpec): vega.Spec {
  // A margin, so text measured to the pixel does not touch the image's edge.
  return compile({ padding: 12, ...spec, config: { ...chartConfig, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
}

export async function chartToSvg(spec: TopLevelSpec): Promise<string> {
  // Lay text out with the widths resvg will draw it at, not vega's canvas-less guess. Set here,
  // when a chart is drawn, not when this module loads: importing the report must not change how
  // vega measures text for the rest of the program (vega's measure is process-wide).
  useFontMetrics();
  const view = new vega.View(vega.parse(compileChart(spec)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface RenderedPng {
  png: Buffer;
  width: number;
  height: number;
}

export function svgToPng(svg: string): RenderedPng {
  const resvg = new Resvg(svg, {
    font: { fontFiles, loadSystemFonts: false, defaultFontFamily: fontFamily },
    fitTo: { mode: 'zoom', value: rasterScale },
    background: 'white',
  });
  const image = resvg.render();
  return { png: image.asPng(), width: image.width, height: image.height };
}

/** Renders `spec` to a PNG file atomically; returns its pixel size. */
export async function writeChartPng(spec: TopLevelSpec, path: string): Promise<RenderedPng> {
  const rendered = svgToPng(await chartToSvg(spec));
  writeFileAtomically(path, rendered.png);
  return rendered;
}
