/**
 * Batching: every sample once per epoch, a seeded order that changes by epoch, the last
 * partial batch, a cap on samples per epoch, and reused buffers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatcher } from '../../src/data/index.js';
import type { DataSplit } from '../../src/data/index.js';
import { SeededRandom } from '../../src/random.js';

const steps = 3;
const inputSize = 2;
const size = 10;
// Sample n holds the values n·100 + k, its label n.
const split: DataSplit = {
  size,
  inputs: Float32Array.from({ length: size * steps * inputSize }, (_, i) => Math.floor(i / 6) * 100 + (i % 6)),
  targets: Int32Array.from({ length: size }, (_, n) => n),
};

function collect(shuffle: boolean, batchSize: number, cap: number | null, epoch: number, seed = 1) {
  const batcher = createBatcher(split, { batchSize, inputsPerSample: steps * inputSize, targetsPerSample: 1, steps, shuffle, maxSamplesPerEpoch: cap, random: new SeededRandom(seed) });
  const seen: number[] = [];
  const sizes: number[] = [];
  for (const batch of batcher.epoch(epoch)) {
    sizes.push(batch.batchSize);
    assert.equal(batch.inputs.length, batch.batchSize * steps * inputSize);
    assert.equal(batch.targets.length, batch.batchSize);
    for (let i = 0; i < batch.batchSize; i++) {
      const label = batch.targets[i];
      assert.equal(batch.inputs[i * 6], label * 100, 'inputs travel with their label');
      seen.push(label);
    }
  }
  return { seen, sizes, batcher };
}

test('every sample once per epoch, last partial batch kept', () => {
  const { seen, sizes, batcher } = collect(true, 4, null, 1);
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(sizes, [4, 4, 2]);
  assert.equal(batcher.batchesPerEpoch, 3);
});

test('the order is seeded: the same for the same seed and epoch, different across epochs', () => {
  assert.deepEqual(collect(true, 3, null, 2).seen, collect(true, 3, null, 2).seen);
  assert.notDeepEqual(collect(true, 3, null, 1).seen, collect(true, 3, null, 2).seen);
  assert.notDeepEqual(collect(true, 3, null, 1, 1).seen, collect(true, 3, null, 1, 2).seen);
  assert.deepEqual(collect(false, 3, null, 1).seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('a cap on samples per epoch visits that many distinct samples', () => {
  const { seen, sizes } = collect(true, 4, 6, 1);
  assert.equal(new Set(seen).size, 6);
  assert.deepEqual(sizes, [4, 2]);
});

test('batches reuse one buffer: a batch is valid until the next', () => {
  const batcher = createBatcher(split, { batchSize: 5, inputsPerSample: 6, targetsPerSample: 1, steps, shuffle: false, maxSamplesPerEpoch: null, random: new SeededRandom(0) });
  const buffers = [...batcher.epoch(1)].map((b) => b.inputs.buffer);
  assert.equal(buffers[0], buffers[1]);
});
