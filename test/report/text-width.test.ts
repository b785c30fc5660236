/** Text is laid out at the width the DejaVu fonts draw it, not vega's 0.8 em guess. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textWidth } from '../../src/report/text-width.js';

test('widths come from the glyph advances: DejaVu Sans is about 0.55 em a character, not 0.8', () => {
  const label = 'vanilla_tanh_min_norm_rescale';
  const width = textWidth({ fontSize: 13 }, label);
  assert.ok(width > 0.5 * 13 * label.length && width < 0.6 * 13 * label.length, `width ${width}`);
  // "i" is narrower than "m" in a proportional face, equal in the mono one.
  assert.ok(textWidth({ fontSize: 20 }, 'iiii') < textWidth({ fontSize: 20 }, 'mmmm'));
  assert.equal(textWidth({ fontSize: 20, font: 'DejaVu Sans Mono' }, 'iiii'), textWidth({ fontSize: 20, font: 'DejaVu Sans Mono' }, 'mmmm'));
});

test('bold is wider, size scales linearly, a label limit caps the width, empty text is 0', () => {
  const text = 'Gradient Through Depth';
  assert.ok(textWidth({ fontSize: 17, fontWeight: 'bold' }, text) > textWidth({ fontSize: 17 }, text));
  assert.ok(textWidth({ fontSize: 17, fontWeight: 700 }, text) > textWidth({ fontSize: 17 }, text));
  assert.ok(Math.abs(textWidth({ fontSize: 22 }, text) - 2 * textWidth({ fontSize: 11 }, text)) < 1e-9);
  assert.equal(textWidth({ fontSize: 11 }, '  '), 0);
  assert.equal(textWidth({ fontSize: 11, limit: 40 }, 'rnn_layers.19.weight_hh_l0'), 40);
  assert.ok(textWidth({}, 'abc') > 0, 'vega’s default size of 11 when none is set');
});
