// @wukong/storage: the sharded store of Wukong-TS (DESIGN.md §5).
export type { Store, StoreKind, AppendEventOptions, ReadEventsOptions, StreamEvent } from './store.js';
export {
  keys,
  taskKeys,
  hashTag,
  sameHashTag,
  slotOf,
  chunkKey,
  jobKeyPattern,
  isJobKey,
  type TaskRef,
} from './keys.js';
export {
  StorageError,
  StorageErrorCode,
  ShardUnreachable,
  ObjectLost,
  ValueTooLarge,
  ScriptRejected,
  ScriptRejection,
  InvalidKeyPart,
  InvalidStoreUrl,
  InvalidOption,
  InvalidValue,
  WrongKeyType,
  StoreClosed,
  CommandFailed,
  CorruptValue,
  AuthFailed,
  storageErrorFromJSON,
} from './errors.js';
export {
  scriptNames,
  scriptSpec,
  FanInCode,
  FanInHoldCode,
  LeaseCode,
  TaskBeginCode,
  type ScriptName,
  type ScriptResult,
  type ScriptResults,
  type ScriptArg,
  type ScriptSpec,
  type FanInResult,
  type FanInHoldResult,
  type TaskBeginResult,
  type LeaseResult,
  type WriteOnceResult,
  type CarriedInput,
  type ReadInputsResult,
} from './scripts/registry.js';
export {
  encodeTensor,
  decodeTensor,
  isEncodedTensor,
  type NDArray,
  type DType,
  type TypedArray,
  type EncodeTensorOptions,
} from './tensor.js';
export {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_EVENT_TTL_MS,
  type RedisStoreOptions,
  type MemoryStoreOptions,
} from './options.js';
export { RedisShards, slotRanges, SLOT_COUNT, type ShardAddress } from './redis/shards.js';
export { RedisCluster, type ClusterAddress, type RedisClusterOptions } from './redis/cluster.js';
export { MemoryStore, MEMORY_SHARD } from './memory/memory-store.js';
export { MemoryStoreClient, connectMemoryStore } from './memory/client.js';
export { SHARE_MIN_BYTES, toSharedBytes, isSharedBytes } from './memory/shared-bytes.js';
export { openStore, parseStoreUrl, type OpenStoreOptions } from './open-store.js';
