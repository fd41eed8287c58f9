/**
 * The Redis harness is published as the `@wukong/storage/testing` subpath for other packages' tests and
 * benchmarks, and stays out of the main entry: production code that imports `@wukong/storage` never loads
 * `node:child_process` helpers that start servers.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';

describe('@wukong/storage/testing', () => {
  it('is a separate export with types first, not re-exported by the main entry', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, Record<string, string>>;
    };
    expect(Object.keys(pkg.exports['./testing']!)[0]).toBe('types');
    expect(pkg.exports['./testing']).toEqual({
      types: './dist/testing/index.d.ts',
      import: './dist/testing/index.js',
    });
    for (const name of ['startRedis', 'startShards', 'startCluster', 'stopAll', 'freePort'])
      expect(Object.keys(main)).not.toContain(name);
    const mainSource = await readFile(new URL('../src/index.ts', import.meta.url), 'utf8');
    expect(mainSource).not.toMatch(/testing/);
  });

  it('resolves through the package name to the built harness', async () => {
    // Resolved, not imported: type-checking this package must not depend on its own dist/.
    const url = import.meta.resolve('@wukong/storage/testing');
    expect(url).toMatch(/\/storage\/dist\/testing\/index\.js$/);
    const built = await readFile(new URL(url), 'utf8');
    expect(built).toMatch(/export \{[^}]*startCluster/);
  });
});
