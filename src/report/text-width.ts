/**
 * The chart fonts (DejaVu, shipped through npm) and text widths from their own glyph advances.
 * Without a canvas, vega guesses every character at 0.8 em, a third wider than DejaVu Sans:
 * titles, legends and axis labels then reserve room they never use, and a "fit" layout shrinks
 * the plot to make space for text that is not there. vega lets a renderer supply its own
 * measure (`textMetrics.width`); the PNGs use this one, the browser its canvas.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import opentype from 'opentype.js';
import type { Font } from 'opentype.js';
import { textMetrics } from 'vega';

const require = createRequire(import.meta.url);
const fontFolder = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
/** Regular, bold and mono faces, in that order: what resvg draws with. */
export const fontFiles = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf'].map((file) => join(fontFolder, file));
export const fontFamily = 'DejaVu Sans';

/** The text properties of a vega item that decide its width. */
export interface TextStyle {
  fontSize?: number;
  fontWeight?: string | number;
  font?: string;
  limit?: number;
}

interface Face {
  font: Font;
  /** Advance per character, in em. */
  advances: Map<string, number>;
}

let faces: { regular: Face; bold: Face; mono: Face } | null = null;

function loadFace(path: string): Face {
  const bytes = readFileSync(path);
  return { font: opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer), advances: new Map() };
}

function faceFor(style: TextStyle): Face {
  faces ??= { regular: loadFace(fontFiles[0]), bold: loadFace(fontFiles[1]), mono: loadFace(fontFiles[2]) };
  if (style.font !== undefined && /mono/i.test(style.font)) return faces.mono;
  const weight = style.fontWeight;
  const bold = weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
  return bold ? faces.bold : faces.regular;
}

/** Width in pixels of one line of text set in the chart fonts (vega's default size 11). */
export function textWidth(style: TextStyle, text: unknown): number {
  const size = style.fontSize ?? 11;
  const line = text === null || text === undefined ? '' : String(text).trim();
  if (size <= 0 || line === '') return 0;
  const face = faceFor(style);
  let em = 0;
  for (const character of line) {
    let advance = face.advances.get(character);
    if (advance === undefined) {
      advance = (face.font.charToGlyph(character).advanceWidth ?? face.font.unitsPerEm * 0.6) / face.font.unitsPerEm;
      face.advances.set(character, advance);
    }
    em += advance;
  }
  // vega truncates a label longer than its limit to about the limit (with an ellipsis).
  return style.limit !== undefined && style.limit > 0 ? Math.min(em * size, style.limit) : em * size;
}

/** vega's text measure with the chart fonts: one function, so installing it twice is a no-op. */
const measureWithChartFonts = (item: unknown, text: unknown): number => textWidth(item as TextStyle, text);

/**
 * Makes vega lay text out with `textWidth` from now on (process-wide, for Node rendering).
 * Called by the renderer before each chart; idempotent.
 */
export function useFontMetrics(): void {
  if (textMetrics.width !== measureWithChartFonts) textMetrics.width = measureWithChartFonts;
}
