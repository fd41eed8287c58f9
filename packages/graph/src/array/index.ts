/** The blocked-array API (dask.array-like builders). */
export * from './op-names.js';
export {
  random,
  fromArray,
  materialize,
  toGraph,
  freshName,
  blockKey,
  blockAt,
  blockShape,
  blockGrid,
  isGeneratorSpec,
  delayedTask,
  type BlockSource,
  type BlockedArray,
  type Delayed,
} from './blocked.js';
export {
  matmul,
  add,
  sum,
  transpose,
  tsqr,
  svd,
  svdCompressed,
  reduceTree,
  normalizeChunks,
  type MatmulOptions,
  type TsqrResult,
  type SvdResult,
  type SvdCompressedOptions,
} from './linalg.js';
