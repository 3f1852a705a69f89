// Helpers shared by the long test scripts (test-asan, test-pack, test-arm64, valgrind): log lines stamped with the
// time since the script started, timed steps and their summary table, quiet child-process runs, command checks,
// and the top-level "<script>: <error>" exit.
'use strict';
const { execFileSync } = require('child_process');

/** A duration as the scripts print it: "12.3 s". */
function seconds(ms) { return `${(ms / 1000).toFixed(1)} s`; }

/** How a child process ended when it printed no summary of its own: "exit 1", "exit 134 (SIGABRT)". */
function describeExit(code, signal) { return `exit ${code}${signal ? ` (${signal})` : ''}`; }

/**
 * The step log of one script run (name: "test:asan"): log() prints "[test:asan   12.3 s] msg" (time since this
 * call), timed() runs a step and logs and records how long it took, addTiming() records a time without a log line,
 * printTimings() prints the recorded times and the total as rows of the final summary. A step that throws is
 * logged and recorded too.
 */
function createStepLog(name) {
  const startedAt = Date.now();
  const timings = [];
  function log(msg) { console.log(`[${name} ${seconds(Date.now() - startedAt).padStart(7)}] ${msg}`); }
  function addTiming(label, ms) { timings.push([label, ms]); }
  function finishStep(label, start) {
    addTiming(label, Date.now() - start);
    log(`${label}: ${seconds(Date.now() - start)}`);
  }
  function timed(label, fn) {
    const start = Date.now();
    try {
      return fn();
    } finally {
      finishStep(label, start);
    }
  }
  function printTimings(labelWidth) {
    for (const [label, ms] of timings) console.log(`  ${label.padEnd(labelWidth)} ${seconds(ms).padStart(8)}`);
    console.log(`  ${'total'.padEnd(labelWidth)} ${seconds(Date.now() - startedAt).padStart(8)}`);
  }
  return { log, timed, addTiming, printTimings };
}

/** Runs a command to completion with its stdout hidden and its stderr shown; throws if it fails. */
function runQuietly(file, args, cwd) {
  return execFileSync(file, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Whether cmd is on PATH. */
function hasCommand(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Throws "<cmd> not found; <hint>" when cmd is not on PATH. */
function needCommand(cmd, hint) {
  if (!hasCommand(cmd)) throw new Error(`${cmd} not found; ${hint}`);
}

/**
 * Runs a script's main function (synchronous or async). An error it throws or rejects with is printed as
 * "<name>: <message>" (showStack: the stack) on stderr and the exit code is 1.
 */
function runMain(name, main, { showStack = false } = {}) {
  const fail = (err) => {
    console.error(`${name}: ${showStack ? err.stack || err.message : err.message}`);
    process.exitCode = 1;
  };
  try {
    const result = main();
    if (result instanceof Promise) result.catch(fail);
  } catch (err) {
    fail(err);
  }
}

module.exports = { seconds, describeExit, createStepLog, runQuietly, hasCommand, needCommand, runMain };
