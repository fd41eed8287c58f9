// The conformance suite on the embedded store: directly, and through the MessagePort client (here on one
// thread; worker-threads.test.ts runs it across real threads).
import { MemoryStore, connectMemoryStore } from '../src/index.js';
import { defineConformanceSuite } from './harness/conformance.js';

const MAX_VALUE_BYTES = 4 * 1024 * 1024;

defineConformanceSuite('MemoryStore', async () => {
  const store = new MemoryStore({ maxValueBytes: MAX_VALUE_BYTES, sweepIntervalMs: 50 });
  return {
    store,
    peer: connectMemoryStore(store.connectPort()),
    maxValueBytes: MAX_VALUE_BYTES,
    openAnother: async () => new MemoryStore(),
    teardown: () => store.close(),
  };
});

defineConformanceSuite('MemoryStoreClient over a MessagePort', async () => {
  const host = new MemoryStore({ maxValueBytes: MAX_VALUE_BYTES });
  return {
    store: connectMemoryStore(host.connectPort()),
    peer: connectMemoryStore(host.connectPort()),
    maxValueBytes: MAX_VALUE_BYTES,
    openAnother: async () => connectMemoryStore(host.connectPort()),
    teardown: () => host.close(),
  };
});
