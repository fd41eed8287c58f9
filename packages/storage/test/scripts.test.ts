// The Lua sources are embedded at build time; this proves the embedded copy matches the .lua files and
// that every script opens with its KEYS / ARGV / return-code header.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scriptNames, scriptSpec } from '../src/index.js';

const dir = new URL('../src/scripts/', import.meta.url);

describe('script registry', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.lua'));

  it('embeds every .lua file verbatim with its SHA1 and key count', () => {
    expect([...scriptNames].sort()).toEqual(files.map((f) => f.replace(/-\d+\.lua$/, '')).sort());
    for (const file of files) {
      const [, name, numKeys] = /^(\w+)-(\d+)\.lua$/.exec(file) as RegExpExecArray;
      const source = readFileSync(new URL(file, dir), 'utf8');
      const spec = scriptSpec(name as (typeof scriptNames)[number]);
      expect(spec.source).toBe(source);
      expect(spec.sha1).toBe(createHash('sha1').update(source).digest('hex'));
      expect(spec.numKeys).toBe(Number(numKeys));
    }
  });

  it('documents KEYS, ARGV and return codes at the top of each script', () => {
    for (const file of files) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const header = source
        .split('\n')
        .filter((l) => l.startsWith('--'))
        .join('\n');
      expect(header).toMatch(/KEYS\[1\]/);
      expect(header).toMatch(/ARGV\[1\]/);
      expect(header).toMatch(/Returns/);
      expect(source.startsWith('-- ')).toBe(true);
    }
  });
});
