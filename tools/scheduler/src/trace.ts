/**
 * Job reports as Chrome-trace JSON (the "Trace Event Format"), viewable in Perfetto or chrome://tracing:
 * one complete event (`ph: 'X'`) per span, one row (thread) per executor.
 */
import type { JobReport } from './client.js';

interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args: Record<string, unknown>;
}

export function toChromeTrace(report: JobReport): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms' } {
  const rows = new Map<string, number>();
  const events: TraceEvent[] = [];
  const origin = report.spans.reduce((m, s) => Math.min(m, s.t0), Infinity);
  for (const s of report.spans) {
    let tid = rows.get(s.executor);
    if (tid === undefined) {
      tid = rows.size + 1;
      rows.set(s.executor, tid);
      events.push({
        name: 'thread_name',
        cat: '__metadata',
        ph: 'M',
        ts: 0,
        pid: 1,
        tid,
        args: { name: `executor ${s.executor}` },
      });
    }
    const key = report.keys[s.task] ?? String(s.task);
    events.push({
      name: `${s.kind} ${key}`,
      cat: s.kind,
      ph: 'X',
      ts: Math.round((s.t0 - origin) * 1000),
      dur: Math.max(1, Math.round((s.t1 - s.t0) * 1000)),
      pid: 1,
      tid,
      args: { task: key, bytes: s.bytes },
    });
  }
  return { traceEvents: events, displayTimeUnit: 'ms' };
}
