/** Text is laid out at the width the DejaVu fonts draw it, not vega's 0.8 em guess. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fontFiles } from '../../src/report/render.js';
import { createTextMeasure } from '../../src/report/text-width.js';

const measure = createTextMeasure({ regular: fontFiles[0], bold: fontFiles[1], mono: fontFiles[2] });

test('widths come from the glyph advances: DejaVu Sans is about 0.55 em a character, not 0.8', () => {
  const label = 'vanilla_tanh_min_norm_rescale';
  const width = measure({ fontSize: 13 }, label);
  assert.ok(width > 0.5 * 13 * label.length && width < 0.6 * 13 * label.length, `width ${width}`);
  // "i" is narrower than "m" in a proportional face, equal in the mono one.
  assert.ok(measure({ fontSize: 20 }, 'iiii') < measure({ fontSize: 20 }, 'mmmm'));
  assert.equal(measure({ fontSize: 20, font: 'DejaVu Sans Mono' }, 'iiii'), measure({ fontSize: 20, font: 'DejaVu Sans Mono' }, 'mmmm'));
});

test('bold is wider, size scales linearly, a label limit caps the width, empty text is 0', () => {
  const text = 'Gradient Through Depth';
  assert.ok(measure({ fontSize: 17, fontWeight: 'bold' }, text) > measure({ fontSize: 17 }, text));
  assert.ok(Math.abs(measure({ fontSize: 22 }, text) - 2 * measure({ fontSize: 11 }, text)) < 1e-9);
  assert.equal(measure({ fontSize: 11 }, '  '), 0);
  assert.equal(measure({ fontSize: 11, limit: 40 }, 'rnn_layers.19.weight_hh_l0'), 40);
  assert.ok(measure({}, 'abc') > 0, 'vega’s default size of 11 when none is set');
});
