#!/usr/bin/env node
// `npm run prebuild:arm64`: builds the addon for linux-arm64 (cross-compiled with aarch64-linux-gnu-g++ on an
// x86-64 host, natively on an arm64 one) into prebuilds/linux-arm64/qint8.node, where node-gyp-build finds it.
// Builds in build-arm64/ so the host's build/ (which node-gyp-build prefers over prebuilds/) is left alone.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { hasCommand } = require('./steps');

const root = path.join(__dirname, '..');
const toolchain = path.join(root, 'cmake', 'aarch64-linux-gnu.toolchain.cmake');
const buildDir = path.join(root, 'build-arm64');
const outDir = path.join(root, 'prebuilds', 'linux-arm64');
const cross = os.arch() !== 'arm64';

/** Builds and strips the arm64 addon; returns the path of the prebuilt file. `quiet` hides the build log. */
function prebuildArm64({ quiet = false } = {}) {
  if (os.platform() !== 'linux') throw new Error('prebuild:arm64 builds linux-arm64 binaries on Linux hosts only');
  if (cross && !hasCommand('aarch64-linux-gnu-g++')) {
    throw new Error('aarch64-linux-gnu-g++ not found; install it with: apt-get install g++-aarch64-linux-gnu');
  }
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [cmakeJs, 'compile', '--out', buildDir, '--arch', 'arm64'];
  if (cross) args.push(`--CDCMAKE_TOOLCHAIN_FILE=${toolchain}`);
  execFileSync(process.execPath, args, { cwd: root, stdio: quiet ? ['ignore', 'pipe', 'inherit'] : 'inherit' });
  const built = path.join(buildDir, 'Release', 'qint8.node');
  fs.mkdirSync(outDir, { recursive: true });
  // The name prebuildify --napi gives it (package name, no ABI tag), as prebuilds/linux-x64/ has it.
  const dest = path.join(outDir, 'qint8.node');
  const strip = cross ? 'aarch64-linux-gnu-strip' : 'strip';
  execFileSync(strip, ['--strip-all', '-o', dest, built], { stdio: 'inherit' });
  return dest;
}

module.exports = { prebuildArm64, toolchain };

if (require.main === module) {
  try {
    const dest = prebuildArm64();
    console.log(`prebuild:arm64: ${path.relative(root, dest)} (${fs.statSync(dest).size} bytes)`);
  } catch (err) {
    console.error(`prebuild:arm64: ${err.message}`);
    process.exit(1);
  }
}
