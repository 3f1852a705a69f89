// Builds and runs the native C++ unit tests (cmake + ctest) in build-tests/; part of `npm test`.
// QINT8_SANITIZE=1 builds them with AddressSanitizer and UndefinedBehaviorSanitizer.
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const sanitize = process.env.QINT8_SANITIZE === '1';
const buildDir = path.join(root, sanitize ? 'build-tests-asan' : 'build-tests');
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit', cwd: root });

run('cmake', ['-S', root, '-B', buildDir, '-DQINT8_BUILD_TESTS=ON', `-DQINT8_SANITIZE=${sanitize ? 'ON' : 'OFF'}`, '-DCMAKE_BUILD_TYPE=Release']);
run('cmake', ['--build', buildDir, '--parallel', '2']);
run('ctest', ['--test-dir', buildDir, '--output-on-failure']);
