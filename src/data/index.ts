/** Datasets: sequential MNIST, the long-memory tasks, a user's .npy / CSV data, and batching. */
export type { Baseline, DataSplit, SequenceDataset } from './dataset.js';
export { DataError, targetsPerSample } from './dataset.js';
export type { DatasetOptions, DatasetName, DatasetDescription, DatasetOptionDescription } from './load.js';
export { datasetCatalog, loadDataset } from './load.js';
export type { Batcher, BatcherOptions } from './batcher.js';
export { createBatcher } from './batcher.js';
export type { MnistOptions } from './mnist.js';
export type { AddingOptions, CopyOptions, TemporalOrderOptions } from './synthetic.js';
export type { NpyDataOptions, CsvDataOptions } from './user-data.js';
export { readNpy } from './npy.js';
