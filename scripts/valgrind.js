#!/usr/bin/env node
// `npm run test:valgrind`: valgrind memcheck over the native C++ test binary (build-tests/qint8_native_tests,
// built as `npm run test:native` does when missing). Any memcheck error, or a definite / indirect leak, fails.
// Valgrind 3.19-3.22 does not implement AVX-512: its synthetic CPUID hides AVX-512 (and AVX-VNNI), so the
// runtime dispatch picks the best family valgrind can execute (avx2 on x86-64) and the tests of the others are
// skipped; the sanitizer run (npm run test:asan) covers those natively. QINT8_VALGRIND_ARGS adds valgrind options
// (e.g. --track-origins=yes to find where an uninitialised value came from; it doubles the run time).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { describeExit, needCommand, runMain, runQuietly, seconds } = require('./steps');

const root = path.join(__dirname, '..');
const buildDir = path.join(root, 'build-tests');
const binary = path.join(buildDir, 'qint8_native_tests');
const t0 = Date.now();

function main() {
  needCommand('valgrind', 'install it with: apt-get install valgrind');
  const buildStart = Date.now();
  // (re)build: incremental when npm test already built it
  runQuietly('cmake', ['-S', root, '-B', buildDir, '-DQINT8_BUILD_TESTS=ON', '-DQINT8_SANITIZE=OFF', '-DCMAKE_BUILD_TYPE=Release'], root);
  runQuietly('cmake', ['--build', buildDir, '--parallel', String(os.cpus().length)], root);
  const buildMs = Date.now() - buildStart;
  if (!fs.existsSync(binary)) throw new Error(`${binary} was not built`);

  const args = ['--tool=memcheck', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite,indirect',
    '--show-leak-kinds=definite,indirect', '--num-callers=30',
    ...(process.env.QINT8_VALGRIND_ARGS ? process.env.QINT8_VALGRIND_ARGS.split(/\s+/).filter(Boolean) : []), binary];
  console.log(`valgrind ${args.join(' ')}`);
  const runStart = Date.now();
  const r = spawnSync('valgrind', args, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  const runMs = Date.now() - runStart;
  const out = `${r.stdout}${r.stderr}`;
  const lines = out.split('\n');
  const summary = lines.find((l) => /^\d+ passed, \d+ failed$/.test(l)) ?? '(no test summary)';
  const errors = (out.match(/ERROR SUMMARY: (\d+) errors/) || [])[1];
  const skipped = [...new Set(lines.filter((l) => /^\s+skip /.test(l)).map((l) => l.trim().replace(/^skip /, '')))];
  // Everything valgrind said (its lines start with ==pid==) plus failing tests
  const report = lines.filter((l) => /^==\d+==/.test(l) || /^FAIL /.test(l));
  if (report.length) console.log(report.join('\n'));
  console.log(`\nvalgrind memcheck over ${path.relative(root, binary)}: ${describeExit(r.status, r.signal)}; tests: ${summary}; ` +
    `memcheck errors: ${errors ?? 'unknown'}`);
  if (skipped.length) console.log(`kernel families skipped under valgrind (not executable there): ${skipped.slice(0, 6).join('; ')}`);
  console.log(`build ${seconds(buildMs)}, valgrind run ${seconds(runMs)}, total ${seconds(Date.now() - t0)}`);
  if (r.status !== 0) {
    console.log(r.status === 99 ? 'test:valgrind FAILED: memcheck reported errors' : 'test:valgrind FAILED');
    if (r.status !== 99) console.log(out.split('\n').slice(-60).join('\n'));
    process.exitCode = 1;
  } else {
    console.log('test:valgrind passed (0 memcheck errors, no definite or indirect leaks)');
  }
}

runMain('test:valgrind', main);
