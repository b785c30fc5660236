/**
 * Text widths from the DejaVu fonts' own glyph advances, for laying charts out in Node.
 * Without a canvas, vega guesses every character at 0.8 em, a third wider than DejaVu Sans:
 * titles, legends and axis labels then reserve room they never use, and a "fit" layout shrinks
 * the plot to make space for text that is not there. vega lets a renderer supply its own
 * measure (`textMetrics.width`); the PNGs use this one, the browser its canvas.
 */
import { readFileSync } from 'node:fs';
import opentype from 'opentype.js';
import type { Font } from 'opentype.js';
import { textMetrics } from 'vega';

interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
  font?: string;
  limit?: number;
}

function loadFont(path: string): Font {
  const bytes = readFileSync(path);
  return opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

/** Measures text set in the regular, bold and mono faces of the given files. */
export function createTextMeasure(files: { regular: string; bold: string; mono: string }): (item: TextItem, text: unknown) => number {
  const faces = { regular: loadFont(files.regular), bold: loadFont(files.bold), mono: loadFont(files.mono) };
  const advances = new Map<Font, Map<string, number>>();
  const advance = (font: Font, character: string): number => {
    let perFont = advances.get(font);
    if (perFont === undefined) advances.set(font, (perFont = new Map()));
    let width = perFont.get(character);
    if (width === undefined) {
      width = (font.charToGlyph(character).advanceWidth ?? font.unitsPerEm * 0.6) / font.unitsPerEm;
      perFont.set(character, width);
    }
    return width;
  };
  return (item, text) => {
    const size = item.fontSize ?? 11;
    const line = text === null || text === undefined ? '' : String(text).trim();
    if (size <= 0 || line === '') return 0;
    const weight = item.fontWeight;
    const bold = weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600) || (typeof weight === 'string' && Number(weight) >= 600);
    const face = item.font !== undefined && /mono/i.test(item.font) ? faces.mono : bold ? faces.bold : faces.regular;
    let em = 0;
    for (const character of line) em += advance(face, character);
    const width = em * size;
    // vega truncates a label longer than its limit to about the limit (with an ellipsis).
    return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
}

/** Makes vega measure text with the given fonts from now on (process-wide, for Node rendering). */
export function useFontMetrics(files: { regular: string; bold: string; mono: string }): void {
  const measure = createTextMeasure(files);
  textMetrics.width = (item: unknown, text: unknown) => measure(item as TextItem, text);
}
