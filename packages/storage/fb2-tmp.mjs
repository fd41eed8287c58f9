import { Redis } from 'ioredis';
import { RedisShards, keys, scriptSpec } from './dist/index.js';
const port = Number(process.argv[2]);
const mode = process.argv[3];
const store = await RedisShards.connect([{ host: '127.0.0.1', port }]);
const raw = new Redis({ port });
const spec = scriptSpec('fanIn');
await store.runScript('fanIn', [keys.fanIn('w', 0), keys.trigger('w', 0)], [0, 4, 60000]);
async function rate(label, fn) {
  const total = 100000;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  console.log(label, Math.round(total / ((performance.now() - t0) / 1000)));
}
for (let r = 0; r < 3; r++) {
  if (mode === 'raw')
    await rate('raw evalsha', (i) =>
      raw.evalsha(spec.sha1, 2, keys.fanIn('a' + r, i >> 2), keys.trigger('a' + r, i >> 2), i & 3, 4, 60000),
    );
  else
    await rate('store      ', (i) =>
      store.runScript(
        'fanIn',
        [keys.fanIn('c' + r, i >> 2), keys.trigger('c' + r, i >> 2)],
        [i & 3, 4, 60000],
      ),
    );
}
await store.close();
raw.disconnect();
