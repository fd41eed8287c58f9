// Plain-TypeScript reference implementations, one per kernel family: test oracles and bench baselines.
export { gemmRef, matmulRef } from './gemm.js';
export {
  transposeRef,
  addRef,
  subRef,
  mulRef,
  scaleRef,
  sumRef,
  dotRef,
  sumSquaresRef,
  maxAbsRef,
  maxAbsDiffRef,
  colSumsRef,
  rowSumsRef,
} from './elementwise.js';
export { philox4x32, rngUniformRef, rngNormalRef } from './philox.js';
export { qrRef } from './qr.js';
export { svdRef } from './svd.js';
export { svcFitRef, svcDecisionRef, svcPredictRef, svcFitOvoRef, svcPredictOvoRef } from './svc.js';
