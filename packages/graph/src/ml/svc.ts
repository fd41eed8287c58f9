/**
 * Support-vector classification in the style of dask-ml's `ParallelPostFit(SVC())`: the model is trained
 * on a sample in one task (SVC training does not scale out), then prediction and scoring run blockwise
 * over a large array. The model travels as a plain list value from the fit task to every predict task.
 */
import { ArrayArgError } from '../errors.js';
import type { Arg, Key, Task } from '../spec/types.js';
import {
  blockArg,
  blockKey,
  delayedTask,
  f64Bytes,
  freshName,
  mergeTasks,
  type BlockSource,
  type BlockedArray,
  type Delayed,
} from '../array/blocked.js';
import { reduceTree } from '../array/linalg.js';
import { ARRAY_OPS, ML_OPS } from '../array/op-names.js';

/** scikit-learn's SVC hyper-parameters (defaults as there: rbf, C = 1, gamma 'scale'). */
export interface SvcOptions {
  /** @default 'rbf' */
  readonly kernel?: 'rbf' | 'linear' | 'poly';
  /** @default 1 */
  readonly C?: number;
  /** @default 'scale' */
  readonly gamma?: number | 'scale' | 'auto';
  /** @default 3 */
  readonly degree?: number;
  /** @default 0 */
  readonly coef0?: number;
  /** @default 1e-3 */
  readonly tol?: number;
}

/**
 * Trains on the first `train` rows of x and y (which must lie in their first block), in one task. The
 * result is a Delayed model for `svcPredict`.
 */
export function svcFit(x: BlockedArray, y: BlockedArray, train: number, options: SvcOptions = {}): Delayed {
  if (x.shape.length !== 2) throw new ArrayArgError('svcFit', 'x must be 2-D (rows × features)');
  if (y.shape.length !== 1 || y.shape[0] !== x.shape[0])
    throw new ArrayArgError(
      'svcFit',
      `y must hold one label per row of x (${x.shape[0]}), got shape [${y.shape.join(', ')}]`,
    );
  if (x.chunks[1]!.length !== 1) throw new ArrayArgError('svcFit', 'x must have one column block');
  const first = x.chunks[0]![0]!;
  if (!Number.isSafeInteger(train) || train < 2 || train > first)
    throw new ArrayArgError(
      'svcFit',
      `train must be an integer in [2, ${first}] (the first block), got ${train}`,
    );
  const params = [
    options.kernel ?? 'rbf',
    options.C ?? 1,
    options.gamma ?? 'scale',
    options.degree ?? 3,
    options.coef0 ?? 0,
    options.tol ?? 1e-3,
  ];
  const key = freshName('svc-fit');
  const task: Task = {
    key,
    op: ML_OPS.svcFit,
    args: [blockArg(x.blocks[0]!), blockArg(y.blocks[0]!), train, params],
    outputBytes: f64Bytes(train, x.shape[1]! + 2),
  };
  return delayedTask(task, x.tasks, y.tasks);
}

/** Predicted labels for every row of x, one task per row block (dask-ml's ParallelPostFit.predict). */
export function svcPredict(model: Delayed, x: BlockedArray): BlockedArray {
  if (x.shape.length !== 2 || x.chunks[1]!.length !== 1)
    throw new ArrayArgError('svcPredict', 'x must be 2-D with one column block');
  const name = freshName('svc-predict');
  const tasks = mergeTasks(model.tasks, x.tasks);
  const blocks: BlockSource[] = x.chunks[0]!.map((rows, i) => {
    const key = blockKey(name, [i]);
    tasks.set(key, {
      key,
      op: ML_OPS.svcPredict,
      args: [model.ref, blockArg(x.blocks[i]!)],
      outputBytes: f64Bytes(rows, 1),
    });
    return { ref: key };
  });
  return { name, shape: [x.shape[0]!], chunks: [x.chunks[0]!], blocks, tasks };
}

/**
 * Accuracy of predictions: a Delayed [correct, counted] (an f64 vector of two), counting every row after
 * the first `skipRows` (e.g. the training sample, to score on held-out rows only).
 */
export function accuracy(
  yTrue: BlockedArray,
  yPred: BlockedArray,
  options: { skipRows?: number } = {},
): Delayed {
  const skip = options.skipRows ?? 0;
  if (yTrue.shape.length !== 1 || yTrue.shape[0] !== yPred.shape[0])
    throw new ArrayArgError(
      'accuracy',
      `label vectors differ: [${yTrue.shape.join(', ')}] vs [${yPred.shape.join(', ')}]`,
    );
  if (yTrue.chunks[0]!.some((c, i) => c !== yPred.chunks[0]![i]))
    throw new ArrayArgError('accuracy', 'label vectors have different blocks');
  if (!Number.isSafeInteger(skip) || skip < 0 || skip >= yTrue.shape[0]!)
    throw new ArrayArgError(
      'accuracy',
      `skipRows must be an integer in [0, ${yTrue.shape[0]! - 1}], got ${skip}`,
    );
  const tasks = mergeTasks(yTrue.tasks, yPred.tasks);
  const name = freshName('accuracy-block');
  let row0 = 0;
  const partial: Arg[] = yTrue.chunks[0]!.map((rows, i) => {
    const key: Key = `${name}:${i}`;
    const skipHere = Math.min(rows, Math.max(0, skip - row0));
    row0 += rows;
    tasks.set(key, {
      key,
      op: ML_OPS.accuracy,
      args: [blockArg(yTrue.blocks[i]!), blockArg(yPred.blocks[i]!), skipHere],
      outputBytes: 16,
    });
    return { ref: key };
  });
  return reduceTree('accuracy', partial, ARRAY_OPS.combine, tasks, 8, 16);
}
