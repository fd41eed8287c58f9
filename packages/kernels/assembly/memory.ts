// Raw buffers for the host. The minimal runtime's TLSF allocator (two-level segregated fit, Masmano et
// al. 2004) really frees and coalesces, so a long-lived instance does not grow under alloc/free churn.
// Kernels never allocate: the host passes every output and workspace pointer in.

/** Allocates `bytes` bytes (16-byte aligned); traps only when memory cannot grow. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Returns a block from `alloc` to the allocator. */
export function free(ptr: usize): void {
  heap.free(ptr);
}
