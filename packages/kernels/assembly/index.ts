// Entry point of the kernels module: every export here is part of the host ABI read by src/abi.ts.
export { alloc, free } from './memory';
export { gemm, gemmAtB, gemmABThin, gemmWorkspaceBytes } from './gemm';
export {
  transpose,
  add,
  sub,
  mul,
  scale,
  axpy,
  sum,
  dot,
  sumSquares,
  maxAbs,
  maxAbsDiff,
  colSums,
  rowSums,
  firstNonFinite,
} from './elementwise';
export { fillUniform, fillNormal } from './philox';
export { qr, qrWorkspaceBytes } from './qr';
export { svd, svdWorkspaceBytes } from './svd';
export { svcTrain, svcDecision, svcTrainWorkspaceBytes, svcPredictWorkspaceBytes } from './svc';
