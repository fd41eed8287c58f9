import type { Graph, Task } from '@wukong/graph';

/** A DAG written as `{ key: [deps...] }` in task order; `sizes` gives outputBytes hints. */
export interface DagSpec {
  readonly deps: Readonly<Record<string, readonly string[]>>;
  readonly sizes?: Readonly<Record<string, number>>;
}

export function graphOf(spec: DagSpec, order?: readonly string[]): Graph {
  const keys = order ?? Object.keys(spec.deps);
  const tasks: Task[] = keys.map((key) => {
    const deps = spec.deps[key] ?? [];
    const size = spec.sizes?.[key];
    const args = deps.length === 0 ? [1] : deps.map((d) => ({ ref: d }));
    return size === undefined ? { key, op: 'add', args } : { key, op: 'add', args, outputBytes: size };
  });
  return { tasks };
}

/** Renames every key of a spec. */
export function renameSpec(spec: DagSpec, rename: (k: string) => string): DagSpec {
  const deps: Record<string, readonly string[]> = {};
  for (const [k, ds] of Object.entries(spec.deps)) deps[rename(k)] = ds.map(rename);
  const sizes: Record<string, number> = {};
  for (const [k, s] of Object.entries(spec.sizes ?? {})) sizes[rename(k)] = s;
  return { deps, sizes };
}

/**
 * Renamings that change how keys sort and hash: the sorted keys mapped onto the same keys in reverse order,
 * and onto unrelated strings whose order is unrelated to the original.
 */
export function renamings(keys: readonly string[]): { name: string; rename: (k: string) => string }[] {
  const sorted = [...keys].sort();
  const reversed = [...sorted].reverse();
  const reverseMap = new Map(sorted.map((k, i) => [k, `${reversed[i]}`]));
  // Swapping names within the key set would collide during renaming, so reversed names get a suffix that
  // keeps their relative order reversed.
  const scrambled = new Map(
    sorted.map((k, i) => [k, `${((i * 7919) % 97).toString(36)}-${'zyxwv'[i % 5]}${i}`]),
  );
  return [
    { name: 'original keys', rename: (k) => k },
    { name: 'keys in reverse sort order', rename: (k) => `${reverseMap.get(k)}'` },
    { name: 'scrambled keys', rename: (k) => scrambled.get(k) as string },
  ];
}
