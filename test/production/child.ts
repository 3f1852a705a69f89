// Runs a plain Node script in a child process with qint8 loaded from lib/ (fixtures/register.js), so a crash,
// an abort or a leak in the addon shows up as the child's exit status instead of taking jest down with it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');
export const FIXTURES = path.join(__dirname, 'fixtures');

export interface ChildResult<T> {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The value the child passed to report(), or undefined when it printed none. */
  result: T | undefined;
  ms: number;
}

/**
 * Runs `body` (CommonJS; `q` is the library, `fx` fixtures/register.js, `casesLib` fixtures/cases.js) as
 * `node [nodeArgs] -e`. The child reports with `fx.report(value)`.
 */
export function runNode<T = unknown>(body: string, opts: { nodeArgs?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): ChildResult<T> {
  const script = `'use strict';
const fx = require(${JSON.stringify(path.join(FIXTURES, 'register.js'))});
const casesLib = require(${JSON.stringify(path.join(FIXTURES, "cases.js"))});
const q = fx.lib();
${body}`;
  if (process.env.QINT8_TEST_DUMP_CHILD) fs.writeFileSync(path.join(process.env.QINT8_TEST_DUMP_CHILD, `child-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.js`), script);
  const start = Date.now();
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), '-e', script], {
    cwd: ROOT, env: { ...process.env, ...opts.env }, encoding: 'utf8', timeout: opts.timeoutMs ?? 120000, maxBuffer: 64 << 20,
  });
  const line = r.stdout.split('\n').reverse().find((l) => l.startsWith('@@RESULT '));
  return {
    status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr,
    result: line === undefined ? undefined : (JSON.parse(line.slice(9)) as T), ms: Date.now() - start,
  };
}

/** Fails with the child's output when it did not exit 0 with a report. */
export function expectClean<T>(r: ChildResult<T>): T {
  if (r.status !== 0 || r.result === undefined) {
    throw new Error(`child exited with status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  }
  return r.result;
}
