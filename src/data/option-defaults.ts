/**
 * The defaults of the dataset options, written once: the loaders (mnist.ts, synthetic.ts,
 * user-data.ts) apply them and the catalogue (load.ts) states them, and experiment files take
 * theirs from the catalogue (experiments/fields.ts), so a file and a library call that leave an
 * option out get the same data.
 */

/** How every dataset is split and preprocessed. */
export const splitDefaults = { validationFraction: 0.1, testFraction: 0.1, normalize: true, noiseStd: 0 } as const;

export const mnistDefaults = { variant: 'row', downsample: false, leadingNoiseSteps: 0 } as const;

/** Sequences the synthetic tasks generate per split. */
export const syntheticSampleDefaults = { trainSamples: 10000, validationSamples: 1000, testSamples: 1000 } as const;

/** T of the synthetic tasks (the sequence length; the copy task's blank gap). */
export const syntheticLengthDefault = 100;

export const userDataDefaults = { task: 'classification' } as const;
