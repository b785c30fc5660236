/**
 * `vanishing/data`: sequential MNIST, the long-memory tasks, a user's .npy / CSV data, and
 * batching. The first layer of the pipeline: it loads no model, trainer, runner or report.
 */
export type { Baseline, DataSplit, RequiredLag, SequenceDataset } from './dataset.js';
export { DataError, targetsPerSample } from './dataset.js';
export type { DatasetOptions, DatasetName, DatasetDescription, DatasetOptionDescription } from './load.js';
export { datasetCatalog, loadDataset } from './load.js';
export type { Batcher, BatcherOptions } from './batcher.js';
export { createBatcher } from './batcher.js';
export type { MnistOptions } from './mnist.js';
export type { SyntheticOptions, AddingOptions, CopyOptions, TemporalOrderOptions } from './synthetic.js';
export type { UserDataCommon, NpyDataOptions, CsvDataOptions } from './user-data.js';
export { readNpy } from './npy.js';
export type { NpyArray } from './npy.js';
