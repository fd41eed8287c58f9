import { describe, expect, it } from 'vitest';
import { GraphBuilder, UnknownOpError } from '@wukong/graph';
import { formatPlanReport, planReport } from '../src/plan-report.js';
import { InvalidOptionError } from '../src/errors.js';

describe('planReport', () => {
  it('validates against the executor op registry and reports stats and schedules', () => {
    expect(() => planReport({ tasks: [{ key: 'x', op: 'no-such-op', args: [] }] })).toThrow(UnknownOpError);
    const b = new GraphBuilder();
    const x = b.task('x', 'identity', 1);
    const y = b.task('y', 'identity', 2);
    const s = b.task('s', 'add', x, y);
    b.task('m', 'mod', s, 3);
    const { plan, report } = planReport(b.build(), { schedules: 1 });
    expect(plan.taskCount).toBe(4);
    expect(report.stats).toMatchObject({
      tasks: 4,
      leaves: 2,
      finals: 1,
      edges: 3,
      maxFanIn: 2,
      criticalPathLength: 3,
    });
    expect(report.scheduleCount).toBe(2);
    expect(report.schedules.map((r) => r.leaf)).toEqual(['x']);
    const text = formatPlanReport(report, 'g.json');
    expect(text).toContain('showing 1 (--schedules N for more)');
    expect(text).toMatch(/x\s+become s\*\n\s+s\*\s+become m\n\s+m\s+final/);
  });

  it('rejects unknown ops and bad options with typed errors', () => {
    const b = new GraphBuilder();
    b.task('k', 'matmul');
    expect(() => planReport(b.build())).toThrow(UnknownOpError);
    expect(() => planReport(b.build(), { ops: ['matmul'] })).not.toThrow();
    expect(() => planReport(b.build(), { ops: ['matmul'], schedules: -1 })).toThrow(InvalidOptionError);
  });
});
