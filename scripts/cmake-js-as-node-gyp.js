#!/usr/bin/env node
// prebuildify drives node-gyp ("rebuild --target=… --devdir=… --release [--arch=…]"); this stands in for it
// and runs cmake-js instead, which builds from node-api-headers with no download.
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');

const args = process.argv.slice(2);
const arch = args.find((a) => a.startsWith('--arch='));
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const forward = ['rebuild', ...(args.includes('--debug') ? ['--debug'] : []), ...(arch ? ['--arch', arch.slice(7)] : [])];
execFileSync(process.execPath, [cmakeJs, ...forward], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
