// Proves the layering check fails on deliberate violations, and passes on the real tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { checkBoundaries } from './check-boundaries.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function fixture(files) {
  const root = mkdtempSync(join(tmpdir(), 'wk-boundaries-'));
  mkdirSync(join(root, 'scripts'));
  cpSync(join(repo, 'scripts', 'boundaries.json'), join(root, 'scripts', 'boundaries.json'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: ['packages/*'] }));
  const pkg = (name, deps = {}) => JSON.stringify({ name: `@wukong/${name}`, dependencies: deps });
  const base = {
    'packages/graph/package.json': pkg('graph'),
    'packages/graph/src/index.ts': `export const x = 1;\n`,
    'packages/partitioner/package.json': pkg('partitioner', { '@wukong/graph': '0.1.0' }),
    'packages/partitioner/src/index.ts': `import { x } from '@wukong/graph';\nexport const y = x;\n`,
  };
  for (const [path, text] of Object.entries({ ...base, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function violationsOf(files) {
  const root = fixture(files);
  try {
    return checkBoundaries(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the repository itself respects the layering', () => {
  assert.deepEqual(checkBoundaries(repo), []);
});

test('a clean fixture passes', () => {
  assert.deepEqual(violationsOf({}), []);
});

test('an upward import is rejected (graph -> partitioner)', () => {
  const v = violationsOf({ 'packages/graph/src/bad.ts': `import { y } from '@wukong/partitioner';\n` });
  assert.equal(v.length, 1);
  assert.match(v[0], /@wukong\/graph imports @wukong\/partitioner, which the layering forbids/);
});

test('an allowed but undeclared workspace import is rejected', () => {
  const v = violationsOf({
    'packages/partitioner/package.json': JSON.stringify({ name: '@wukong/partitioner' }),
  });
  assert.equal(v.length, 1);
  assert.match(v[0], /does not declare/);
});

test('dynamic import, require, re-export and type-only imports are all seen', () => {
  for (const text of [
    `const m = await import('@wukong/executor');\n`,
    `const m = require('@wukong/executor');\n`,
    `export { run } from '@wukong/executor';\n`,
    `import type { Plan } from '@wukong/partitioner';\n`,
    `import {\n  a,\n  b,\n} from '@wukong/storage/sub';\n`,
  ]) {
    const v = violationsOf({ 'packages/graph/test/bad.test.ts': text });
    assert.equal(v.length, 1, text);
  }
});

test('a relative import that leaves the package is rejected', () => {
  const v = violationsOf({ 'packages/graph/src/bad.ts': `import '../../partitioner/src/index.js';\n` });
  assert.equal(v.length, 1);
  assert.match(v[0], /leaves package/);
});

test('a declared dependency the layering forbids is rejected', () => {
  const v = violationsOf({
    'packages/graph/package.json': JSON.stringify({
      name: '@wukong/graph',
      dependencies: { '@wukong/storage': '0.1.0' },
    }),
  });
  assert.equal(v.length, 1);
  assert.match(v[0], /depends on @wukong\/storage/);
});

test('a package missing from boundaries.json is rejected', () => {
  const v = violationsOf({ 'packages/extra/package.json': JSON.stringify({ name: '@wukong/extra' }) });
  assert.equal(v.length, 1);
  assert.match(v[0], /no entry in scripts\/boundaries.json/);
});

test('the CLI exits non-zero on a violation', () => {
  const root = fixture({ 'packages/graph/src/bad.ts': `import '@wukong/executor';\n` });
  try {
    const r = spawnSync(process.execPath, [join(repo, 'scripts', 'check-boundaries.mjs'), '--root', root]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /layering forbids/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
