export type { Key, DType, TypedArray, NDArray, Ref, Inline, Arg, Task, Graph } from './types.js';
export {
  isRef,
  isNDArray,
  isTypedArray,
  isDType,
  dtypeOf,
  dtypeBytes,
  shapeSize,
  taskDependencies,
  DTYPES,
  DTYPE_ARRAYS,
} from './types.js';
