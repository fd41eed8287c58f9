#!/usr/bin/env node
// Enforces the package layering of DESIGN.md §2: nothing below imports from above.
//
// For every workspace package it reads each source file (src/, test/, bench/, and top-level config files)
// and every import specifier it contains (static, side-effect, dynamic with a literal, require, re-export).
// A package may import another workspace package only when
//   1. scripts/boundaries.json allows that direction, and
//   2. its own package.json declares the dependency (an undeclared workspace import resolves through the
//      hoisted node_modules today and breaks the day the package is published on its own).
// Relative imports must stay inside the package. Package names missing from boundaries.json are errors,
// so a new package has to state its place in the layering before anything can depend on it.
//
// Usage: node scripts/check-boundaries.mjs [--root DIR]   (exit 1 and a list of violations on failure)
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve, relative, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', '.nx', 'coverage']);
const SPECIFIER_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*[,)]/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function parseArgs(argv) {
  const i = argv.indexOf('--root');
  const here = dirname(fileURLToPath(import.meta.url));
  return { root: resolve(i >= 0 ? argv[i + 1] : join(here, '..')) };
}

function workspaceDirs(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dirs = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const name of readdirSync(parent)) {
        const dir = join(parent, name);
        if (existsSync(join(dir, 'package.json'))) dirs.push(dir);
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      dirs.push(join(root, pattern));
    }
  }
  return dirs;
}

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (SOURCE_EXT.test(name)) yield path;
  }
}

function specifiersOf(text) {
  const out = new Set();
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const m of text.matchAll(pattern)) out.add(m[1]);
  }
  return out;
}

function workspaceName(specifier) {
  const m = /^(@wukong\/[^/]+)/.exec(specifier);
  return m ? m[1] : undefined;
}

export function checkBoundaries(root) {
  const rules = JSON.parse(readFileSync(join(root, 'scripts', 'boundaries.json'), 'utf8'));
  const violations = [];
  for (const dir of workspaceDirs(root)) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const where = relative(root, dir);
    const allowed = rules[pkg.name];
    if (!Array.isArray(allowed)) {
      violations.push(`${where}: package ${pkg.name} has no entry in scripts/boundaries.json`);
      continue;
    }
    const declared = new Set(
      Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }),
    );
    for (const dep of declared) {
      if (dep.startsWith('@wukong/') && !allowed.includes(dep)) {
        violations.push(`${where}/package.json: ${pkg.name} depends on ${dep}, which the layering forbids`);
      }
    }
    for (const file of sourceFiles(dir)) {
      const text = readFileSync(file, 'utf8');
      const at = relative(root, file);
      for (const spec of specifiersOf(text)) {
        const target = workspaceName(spec);
        if (target) {
          if (target === pkg.name) continue;
          if (!allowed.includes(target)) {
            violations.push(`${at}: ${pkg.name} imports ${spec}, which the layering forbids`);
          } else if (!declared.has(target)) {
            violations.push(`${at}: imports ${target}, which ${where}/package.json does not declare`);
          }
        } else if (spec.startsWith('.')) {
          const resolved = resolve(dirname(file), spec);
          if (resolved !== dir && !resolved.startsWith(dir + sep)) {
            violations.push(`${at}: relative import ${spec} leaves package ${pkg.name}`);
          }
        }
      }
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { root } = parseArgs(process.argv.slice(2));
  const violations = checkBoundaries(root);
  if (violations.length > 0) {
    console.error(`Package boundary violations (${violations.length}):`);
    for (const v of violations) console.error(`  - ${v}`);
    process.exit(1);
  }
  console.log('package boundaries: ok');
}
