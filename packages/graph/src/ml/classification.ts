/**
 * `makeClassification`: a blocked, seeded version of scikit-learn's `make_classification` for two
 * classes. Like scikit-learn: n_clusters_per_class = 2 Gaussian clusters per class centred on vertices of
 * a hypercube of side 2·classSep in the informative subspace, each with its own random linear covariance
 * transform; `nRedundant` features are random linear combinations of the informative ones; the remaining
 * features are N(0, 1) noise; a fraction `flipY` of labels is replaced by a random class.
 *
 * Blockwise: the shared parameters (vertices, transforms, redundant mix) are a pure function of `seed`;
 * the rows of block b are a pure function of (seed, b), each row picking its cluster uniformly at random
 * (scikit-learn instead fixes the cluster sizes and shuffles, which needs the whole array). Every block is
 * therefore a generator spec that any task can regenerate: X and y of a block come from the same spec
 * parameters, with kind `classification-x` or `classification-y`.
 */
import { ArrayArgError } from '../errors.js';
import { freshName, normalizeChunks, type BlockSource, type BlockedArray } from '../array/blocked.js';
import { GENERATORS } from '../array/op-names.js';

export interface MakeClassificationOptions {
  readonly nSamples: number;
  /** Rows per block. */
  readonly chunks: number;
  /** @default 20 */
  readonly nFeatures?: number;
  /** @default 2 */
  readonly nInformative?: number;
  /** @default 2 */
  readonly nRedundant?: number;
  /** Fraction of labels replaced at random. @default 0.01 */
  readonly flipY?: number;
  /** Half the side of the hypercube the cluster centres sit on. @default 1 */
  readonly classSep?: number;
  /** @default 0 */
  readonly seed?: number;
}

export interface Classification {
  /** nSamples × nFeatures. */
  readonly x: BlockedArray;
  /** nSamples labels in {0, 1}. */
  readonly y: BlockedArray;
}

export function makeClassification(options: MakeClassificationOptions): Classification {
  const nFeatures = options.nFeatures ?? 20;
  const nInformative = options.nInformative ?? 2;
  const nRedundant = options.nRedundant ?? 2;
  const flipY = options.flipY ?? 0.01;
  const classSep = options.classSep ?? 1;
  const seed = options.seed ?? 0;
  const check = (ok: boolean, message: string): void => {
    if (!ok) throw new ArrayArgError('makeClassification', message);
  };
  check(
    Number.isSafeInteger(nFeatures) && nFeatures >= 1,
    `nFeatures must be a positive integer, got ${nFeatures}`,
  );
  check(
    Number.isSafeInteger(nInformative) && nInformative >= 1,
    `nInformative must be a positive integer, got ${nInformative}`,
  );
  check(
    Number.isSafeInteger(nRedundant) && nRedundant >= 0,
    `nRedundant must be a non-negative integer, got ${nRedundant}`,
  );
  check(
    nInformative + nRedundant <= nFeatures,
    `nInformative + nRedundant (${nInformative + nRedundant}) exceeds nFeatures (${nFeatures})`,
  );
  check(2 ** nInformative >= 4, 'nInformative must be at least 2 (four cluster centres on the hypercube)');
  check(flipY >= 0 && flipY <= 1, `flipY must lie in [0, 1], got ${flipY}`);
  check(Number.isFinite(classSep) && classSep > 0, `classSep must be a positive number, got ${classSep}`);
  check(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative safe integer, got ${seed}`);
  const rowChunks = normalizeChunks([options.nSamples], [options.chunks], 'makeClassification')[0]!;
  const xBlocks: BlockSource[] = [];
  const yBlocks: BlockSource[] = [];
  rowChunks.forEach((rows, b) => {
    const params = [seed, b, rows, nFeatures, nInformative, nRedundant, flipY, classSep];
    xBlocks.push([GENERATORS.classificationX, ...params]);
    yBlocks.push([GENERATORS.classificationY, ...params]);
  });
  return {
    x: {
      name: freshName('classification-x'),
      shape: [options.nSamples, nFeatures],
      chunks: [rowChunks, [nFeatures]],
      blocks: xBlocks,
      tasks: new Map(),
    },
    y: {
      name: freshName('classification-y'),
      shape: [options.nSamples],
      chunks: [rowChunks],
      blocks: yBlocks,
      tasks: new Map(),
    },
  };
}
