#!/usr/bin/env node
// `npm run test:asan`: AddressSanitizer + UndefinedBehaviorSanitizer over the native code. One cmake-js build in
// build-asan/ with -DQINT8_SANITIZE=ON -DQINT8_BUILD_TESTS=ON makes both the addon and the C++ test binary (the
// core library is compiled once), then:
//   1. the C++ unit tests run under ASan with leak checking and UBSan (no V8 in that binary);
//   2. the jest suites run on the sanitized addon: node with libasan preloaded (ASan must come first), leak
//      detection off (V8 keeps memory until exit by design), and a --require hook (NODE_OPTIONS, so child
//      processes and worker threads get it too) that makes every load of qint8.node load
//      build-asan/Release/qint8.node instead (the loader is not changed).
// Zero reports required: every sanitizer report goes to a log file (log_path) and any file there fails the run,
// including reports from child processes whose output a test captured. Extra arguments go to jest.
// Options: --no-native-tests, --no-jest, --jobs=N (build parallelism; default: CPU count).
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const asanBuild = path.join(root, 'build-asan');
const logDir = path.join(asanBuild, 'reports');
const t0 = Date.now();
const timings = [];
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
function log(msg) { console.log(`[test:asan ${seconds(Date.now() - t0).padStart(7)}] ${msg}`); }
function timed(label, fn) {
  const start = Date.now();
  try {
    return fn();
  } finally {
    timings.push([label, Date.now() - start]);
    log(`${label}: ${seconds(Date.now() - start)}`);
  }
}

function parseArgs(argv) {
  const opts = { nativeTests: true, jest: true, jobs: os.cpus().length, jestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-native-tests') opts.nativeTests = false;
    else if (a === '--no-jest') opts.jest = false;
    else if (a.startsWith('--jobs=')) opts.jobs = Math.max(1, Number(a.slice(7)) || 1);
    else if (a === '--') { opts.jestArgs.push(...argv.slice(i + 1)); break; }
    else opts.jestArgs.push(a);
  }
  return opts;
}

/** The sanitizer runtime to preload: gcc's (the compiler CMake uses by default on Linux), else clang's. */
function sanitizerRuntime() {
  for (const [cc, lib] of [['gcc', 'libasan.so'], ['cc', 'libasan.so'], ['clang', 'libclang_rt.asan-x86_64.so']]) {
    try {
      const file = execFileSync(cc, [`-print-file-name=${lib}`], { encoding: 'utf8' }).trim();
      if (path.isAbsolute(file) && fs.existsSync(file)) return fs.realpathSync(file);
    } catch {
      // not this compiler
    }
  }
  throw new Error('libasan.so not found (gcc -print-file-name=libasan.so); install gcc');
}

function sanitizerEnv(extra = {}) {
  fs.mkdirSync(logDir, { recursive: true });
  return {
    ...process.env,
    ASAN_OPTIONS: [`log_path=${path.join(logDir, 'asan')}`, 'detect_leaks=0', 'halt_on_error=1', 'abort_on_error=0',
      'detect_stack_use_after_return=0', 'allow_user_segv_handler=1', 'handle_segv=1', 'strict_string_checks=0'].join(':'),
    UBSAN_OPTIONS: [`log_path=${path.join(logDir, 'ubsan')}`, 'print_stacktrace=1', 'halt_on_error=1'].join(':'),
    ...extra,
  };
}

function reports() {
  if (!fs.existsSync(logDir)) return [];
  return fs.readdirSync(logDir).map((f) => path.join(logDir, f)).filter((f) => fs.statSync(f).size > 0);
}

function build(opts) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  execFileSync(process.execPath, [cmakeJs, 'compile', '--out', asanBuild, '--parallel', String(opts.jobs), '--CDQINT8_SANITIZE=ON',
    '--CDQINT8_BUILD_TESTS=ON'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const addon = path.join(asanBuild, 'Release', 'qint8.node');
  const tests = path.join(asanBuild, 'qint8_native_tests');
  for (const f of [addon, tests]) if (!fs.existsSync(f)) throw new Error(`not built: ${f}`);
  return { addon, tests };
}

function nativeTests(binary) {
  // ASan with leak checking (no V8 in this binary) and UBSan; a report aborts the test binary.
  fs.mkdirSync(logDir, { recursive: true });
  const env = {
    ...process.env,
    ASAN_OPTIONS: `detect_leaks=1:halt_on_error=1:log_path=${path.join(logDir, 'native-asan')}`,
    UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:log_path=${path.join(logDir, 'native-ubsan')}`,
  };
  const r = spawnSync(binary, [], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = `${r.stdout}${r.stderr}`;
  const failed = out.split('\n').filter((l) => /^FAIL /.test(l));
  const summary = (out.match(/^\d+ passed, \d+ failed$/m) || [`exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`])[0];
  log(`native tests under ASan+UBSan: ${summary}${failed.length ? `\n${failed.join('\n')}` : ''}`);
  return r.status === 0;
}

/** The --require hook: every dlopen of a qint8.node loads the sanitized build instead. */
function writeRedirect(addon) {
  const hook = path.join(asanBuild, 'use-asan-addon.js');
  fs.writeFileSync(hook, `// Generated by scripts/test-asan.js: loads ${addon} wherever qint8.node is loaded.
'use strict';
const original = process.dlopen;
process.dlopen = function dlopen(module, filename, ...rest) {
  if (typeof filename === 'string' && /(^|[\\\\/])qint8\\.node$/.test(filename)) filename = ${JSON.stringify(addon)};
  return original.call(this, module, filename, ...rest);
};
`);
  return hook;
}

/** Checks that node with this environment loads the sanitized addon, in the main thread and in a worker. */
function probe(env, addon) {
  const script = `
    const fs = require('fs');
    const { Worker } = require('worker_threads');
    const b = require('node-gyp-build')(process.cwd());
    const maps = () => fs.readFileSync('/proc/self/maps', 'utf8');
    const w = new Worker("const b = require('node-gyp-build')(process.cwd()); require('worker_threads').parentPort.postMessage(b.info().isa);", { eval: true });
    w.once('message', (isa) => {
      const loaded = [...new Set(maps().split('\\n').filter((l) => l.endsWith('.node')).map((l) => l.slice(l.indexOf('/'))))];
      process.stdout.write(JSON.stringify({ isa: b.info().isa, workerIsa: isa, asan: maps().includes('libasan'), loaded }));
    });`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, env, encoding: 'utf8' });
  const r = JSON.parse(out);
  // both threads loaded qint8.node, and the only .node file mapped is the sanitized one
  if (!r.asan || typeof r.workerIsa !== 'string' || r.loaded.length !== 1 || r.loaded[0] !== fs.realpathSync(addon)) {
    throw new Error(`the sanitized addon is not what node loads: ${out}`);
  }
  return r;
}

function runJest(env, opts) {
  const jest = path.join(path.dirname(require.resolve('jest/package.json', { paths: [root] })), 'bin', 'jest.js');
  const args = [jest, '--ci', '--runInBand', ...opts.jestArgs];
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  return r.status === null ? 128 : r.status;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (os.platform() !== 'linux') throw new Error('test:asan runs on Linux (LD_PRELOAD of libasan)');
  fs.rmSync(logDir, { recursive: true, force: true });
  let failed = false;
  const { addon, tests } = timed('addon and native tests with ASan+UBSan (build-asan, cmake-js)', () => build(opts));
  if (opts.nativeTests && !timed('native tests under ASan+UBSan', () => nativeTests(tests))) failed = true;
  if (opts.jest) {
    const runtime = sanitizerRuntime();
    const hook = writeRedirect(addon);
    const env = sanitizerEnv({
      LD_PRELOAD: [runtime, process.env.LD_PRELOAD].filter(Boolean).join(' '),
      NODE_OPTIONS: [`--require=${hook}`, process.env.NODE_OPTIONS].filter(Boolean).join(' '),
      // jest's heavy suites are slower under ASan; the production tests scale their own work
      QINT8_FUZZ_RUNS: process.env.QINT8_FUZZ_RUNS ?? '60',
    });
    const p = timed('probe: node loads the sanitized addon (main thread and worker)', () => probe(env, addon));
    log(`probe: isa ${p.isa} (worker ${p.workerIsa}), libasan mapped, ${path.relative(root, addon)} mapped`);
    const status = timed('jest suites on the sanitized addon', () => runJest(env, opts));
    if (status !== 0) {
      log(`jest exited with status ${status}`);
      failed = true;
    }
  }
  const found = reports();
  for (const file of found) {
    console.log(`\n----- ${path.relative(root, file)} -----\n${fs.readFileSync(file, 'utf8').slice(0, 20000)}`);
  }
  console.log('\nSummary');
  for (const [label, ms] of timings) console.log(`  ${label.padEnd(66)} ${seconds(ms).padStart(8)}`);
  console.log(`  ${'total'.padEnd(66)} ${seconds(Date.now() - t0).padStart(8)}`);
  console.log(`  sanitizer reports: ${found.length}`);
  if (found.length > 0 || failed) {
    console.log('test:asan FAILED');
    process.exitCode = 1;
  } else {
    console.log('test:asan passed (0 sanitizer reports)');
  }
}

try {
  main();
} catch (err) {
  console.error(`test:asan: ${err.message}`);
  process.exitCode = 1;
}
