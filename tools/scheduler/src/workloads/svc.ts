/**
 * SVC (dask-ml: `ParallelPostFit(SVC()).fit(X[:train], y[:train]).score(X, y)`): a make_classification
 * data set generated blockwise, an RBF C-SVC trained on the first `train` rows in one task, predictions
 * per block, and the accuracy on the held-out rows (every row after the training sample).
 */
import { accuracy, isNDArray, makeClassification, svcFit, svcPredict } from '@wukong/graph';
import type { Workload } from '../run.js';

export interface SvcWorkloadOptions {
  samples: number;
  chunk: number;
  train: number;
  /** @default 20 */
  features?: number;
  /** @default 0 */
  seed?: number;
  /** Lowest accuracy the check accepts. @default 0.75 */
  minAccuracy?: number;
}

export function svcWorkload(options: SvcWorkloadOptions): Workload {
  const { samples, chunk, train } = options;
  const { x, y } = makeClassification({
    nSamples: samples,
    chunks: chunk,
    nFeatures: options.features ?? 20,
    seed: options.seed ?? 0,
  });
  const model = svcFit(x, y, train);
  const predicted = svcPredict(model, x);
  const score = accuracy(y, predicted, { skipRows: train });
  const minAccuracy = options.minAccuracy ?? 0.75;
  return {
    name: 'svc',
    graph: { tasks: [...score.tasks.values()] },
    check(outputs) {
      const counts = outputs.get(score.ref.ref);
      if (!isNDArray(counts)) return { ok: false, details: { error: 'accuracy missing' } };
      const [correct, counted] = [counts.data[0] as number, counts.data[1] as number];
      const acc = correct / counted;
      return {
        ok: counted === samples - train && acc >= minAccuracy,
        details: { samples, chunk, train, held_out: counted, accuracy: acc, min_accuracy: minAccuracy },
      };
    },
  };
}
