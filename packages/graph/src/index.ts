/**
 * @wukong/graph: the task-graph spec (DESIGN.md §3), its validation, the JSON file format, the binary codec
 * and a builder for hand-made graphs.
 */
export * from './spec/index.js';
export {
  GraphError,
  GraphFormatError,
  ForbiddenKeyError,
  InvalidArgError,
  DuplicateKeyError,
  DanglingRefError,
  CycleError,
  UnknownOpError,
  ArityError,
  GraphLimitError,
  GraphCodecError,
  ArrayArgError,
  type GraphErrorCode,
  type GraphErrorJson,
} from './errors.js';
export {
  validateGraph,
  resolveGraphLimits,
  DEFAULT_GRAPH_LIMITS,
  type OpManifest,
  type GraphLimits,
  type ValidateOptions,
} from './validate.js';
export { parseGraphJson, graphToJson, GRAPH_JSON_FORMAT, GRAPH_JSON_VERSION } from './codec/json.js';
export {
  encodeGraph,
  decodeGraph,
  encodeInlines,
  decodeInlines,
  GRAPH_FRAME_MAGIC,
  GRAPH_FORMAT_VERSION,
} from './codec/binary.js';
export {
  encodeFrame,
  decodeFrame,
  hasFrameMagic,
  sectionAs,
  type DecodedFrame,
  type SectionBytes,
} from './codec/frame.js';
export { InlinePacker, unpackInline } from './codec/inline.js';
export { KeyIndex } from './key-index.js';
export { GraphBuilder, type TaskOptions } from './builder.js';
export * from './array/index.js';
export * from './ml/index.js';
