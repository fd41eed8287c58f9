#!/usr/bin/env node
/**
 * The `wukong` command. This file only wires commander to the functions of the other modules, so each
 * subcommand stays testable on its own. Errors print as `wukong: <name> [<code>]: <message>` on stderr and
 * exit with status 1; nothing is started for an invalid graph.
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadGraphFile } from './graph-file.js';
import { DEFAULT_REPORTED_SCHEDULES, formatPlanReport, planReport } from './plan-report.js';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const program = new Command()
  .name('wukong')
  .description('Wukong-TS: a serverless DAG engine with decentralised executors')
  .showHelpAfterError();

program
  .command('plan')
  .description('validate a graph file, build its plan, print statistics and static schedules')
  .argument('<file>', 'graph file (JSON format of @wukong/graph, or the binary graph codec)')
  .option('--json', 'print the report as JSON')
  .option('--schedules <n>', 'how many static schedules to print', nonNegativeInt, DEFAULT_REPORTED_SCHEDULES)
  .action(async (file: string, opts: { json?: boolean; schedules: number }) => {
    const graph = await loadGraphFile(file);
    const { report } = planReport(graph, { schedules: opts.schedules });
    process.stdout.write(
      opts.json === true
        ? `${JSON.stringify({ file, ...report }, null, 2)}\n`
        : formatPlanReport(report, file),
    );
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as Error & { code?: unknown };
  const code = typeof err.code === 'string' ? ` [${err.code}]` : '';
  process.stderr.write(`wukong: ${err.name}${code}: ${err.message}\n`);
  process.exitCode = 1;
}
