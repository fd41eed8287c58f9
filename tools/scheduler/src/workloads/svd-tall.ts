/**
 * Tall-and-skinny SVD: a rows×cols uniform random array in row blocks of `chunk`, decomposed through
 * TSQR (dask: `da.linalg.svd`). Verification in the graph: per row block, the reconstruction error
 * max |A_i − U_i·diag(s)·Vᵀ| (A_i regenerated, U_i where it was computed) and the Gram matrix U_iᵀU_i,
 * reduced to the worst error and max |UᵀU − I|; in the client, s against a dense SVD of the same matrix
 * (`denseCheck`, on by default) and max |VVᵀ − I|.
 */
import {
  ARRAY_OPS,
  blockAt,
  random,
  reduceTree,
  svd,
  toGraph,
  type Arg,
  type Key,
  type Task,
} from '@wukong/graph';
import { isNDArray } from '@wukong/graph';
import type { Workload } from '../run.js';
import { clientKernels, denseRandom, maxRelativeError } from './dense.js';

export interface SvdTallOptions {
  rows: number;
  cols: number;
  chunk: number;
  /** @default 2 */
  seed?: number;
  /** Compare s with a dense SVD computed in the client. @default true */
  denseCheck?: boolean;
  /** Add the in-graph reconstruction and orthogonality checks (they need U). @default true */
  verify?: boolean;
  /** Compute only s and v (U is never formed; implies verify false). @default false */
  singularValuesOnly?: boolean;
}

export function svdTallWorkload(options: SvdTallOptions): Workload & { flops: number } {
  const { rows, cols, chunk } = options;
  const a = random([rows, cols], [chunk, cols], options.seed ?? 2);
  const svOnly = options.singularValuesOnly ?? false;
  const { u, s, v } = svd(a, { computeU: !svOnly });
  const verify = !svOnly && (options.verify ?? true);
  const tasks = new Map<Key, Task>(svOnly ? toGraph(s, v).tasks.map((t) => [t.key, t]) : u.tasks);
  // s and v feed the checks, so they are returned through identity tasks (finals have no dependents).
  const sKey = 'svd-s';
  const vKey = 'svd-v';
  tasks.set(sKey, { key: sKey, op: 'identity', args: [s.blocks[0] as Arg], outputBytes: cols * 8 });
  tasks.set(vKey, { key: vKey, op: 'identity', args: [v.blocks[0] as Arg], outputBytes: cols * cols * 8 });
  let errKey: Key | undefined;
  let orthKey: Key | undefined;
  if (verify) {
    const errors: Arg[] = [];
    const grams: Arg[] = [];
    a.chunks[0]!.forEach((_, i) => {
      const ui = blockAt(u, i) as Arg;
      const e = `svd-check-recon:${i}`;
      tasks.set(e, {
        key: e,
        op: ARRAY_OPS.reconstructionError,
        args: [blockAt(a, i) as Arg, ui, s.blocks[0] as Arg, v.blocks[0] as Arg],
        outputBytes: 8,
      });
      errors.push({ ref: e });
      const g = `svd-check-gram:${i}`;
      tasks.set(g, { key: g, op: ARRAY_OPS.gram, args: [ui], outputBytes: cols * cols * 8 });
      grams.push({ ref: g });
    });
    errKey = reduceTree('svd-recon', errors, ARRAY_OPS.max, tasks).ref.ref;
    const gram = reduceTree('svd-gram', grams, ARRAY_OPS.combine, tasks, 8, cols * cols * 8).ref.ref;
    orthKey = 'svd-orthogonality';
    tasks.set(orthKey, {
      key: orthKey,
      op: ARRAY_OPS.maxAbsIdentityDiff,
      args: [{ ref: gram }],
      outputBytes: 8,
    });
  }
  const denseCheck = options.denseCheck ?? true;
  return {
    name: 'svd-tall',
    // Without the checks, U's blocks are not needed by anything: leave them out (culling).
    graph: verify
      ? { tasks: [...tasks.values()] }
      : toGraph({ ref: { ref: sKey }, tasks }, { ref: { ref: vKey }, tasks }),
    // Householder QR of each block and of the stacked R, plus Q1·W: the dominant terms.
    flops: 4 * rows * cols * cols + 2 * rows * cols * cols,
    check(outputs) {
      const sv = outputs.get(sKey);
      const vt = outputs.get(vKey);
      if (!isNDArray(sv) || !isNDArray(vt)) return { ok: false, details: { error: 's or v missing' } };
      const k = clientKernels();
      const vvt = k.matmul(vt.data as Float64Array, cols, cols, vt.data as Float64Array, cols, {
        transB: true,
      });
      let orthV = 0;
      for (let i = 0; i < cols; i++)
        for (let j = 0; j < cols; j++)
          orthV = Math.max(orthV, Math.abs(vvt[i * cols + j]! - (i === j ? 1 : 0)));
      const details: Record<string, unknown> = {
        rows,
        cols,
        chunk,
        s_max: sv.data[0],
        s_min: sv.data[cols - 1],
        orthogonality_v: orthV,
      };
      let ok = orthV < 1e-10;
      if (verify) {
        const recon = outputs.get(errKey!) as number;
        const orthU = outputs.get(orthKey!) as number;
        details.reconstruction_error = recon;
        details.orthogonality_u = orthU;
        ok &&= recon < 1e-10 && orthU < 1e-10;
      }
      if (denseCheck) {
        const dense = k.svd(denseRandom(a), rows, cols).s;
        const rel = maxRelativeError(sv.data, dense, cols);
        details.singular_values_rel_error = rel;
        ok &&= rel < 1e-10;
      }
      return { ok, details };
    },
  };
}
