export { runInvocation, type ExecutorDeps, type Invoker, type InvocationSummary } from './executor.js';
export * from './errors.js';
export {
  emptyCounters,
  encodeEvent,
  decodeEvent,
  decodeEventKeepingSpans,
  SpanColumns,
  type EventKeepingSpans,
  type ExecutorCounters,
  type JobEvent,
  type Span,
  type SpanKind,
} from './events.js';
export { FaultInjector } from './faults.js';
export { createOpRegistry } from './ops/index.js';
export { OpRegistry, type OpContext, type OpDefinition } from './ops/registry.js';
export { standardOps, DeliberateFailure } from './ops/standard.js';
export {
  executorDefaults,
  resolveExecutorOptions,
  type ExecutorOptions,
  type ResolvedExecutorOptions,
} from './options.js';
export {
  crashPoints,
  decodePayload,
  encodePayload,
  PayloadEncoder,
  PAYLOAD_VERSION,
  type CrashPoint,
  type FaultConfig,
  type InlinePlan,
  type InvocationPayload,
  type JobConfig,
  type SharedPayloadFields,
} from './payload.js';
export { PlanCache, storePlan } from './plan-cache.js';
export { LocalPool, type LocalPoolOptions, type PoolStats } from './local/pool.js';
export { ProgressSink } from './progress.js';
export { decodeValue, encodeValue, valueBytes, type Value } from './values.js';
