/** A one-line progress bar for long jobs, drawn on a TTY stream (stderr) at most ten times a second. */
import type { WriteStream } from 'node:tty';
import type { JobProgress } from './job.js';

const WIDTH = 30;
const REDRAW_MS = 100;

export function progressBar(stream: WriteStream): { update: (p: JobProgress) => void; done: () => void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < REDRAW_MS && p.done < p.tasks) return;
      last = now;
      const filled = Math.round((WIDTH * p.done) / Math.max(1, p.tasks));
      stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${p.done}/${p.tasks} tasks`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}
