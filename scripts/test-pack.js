#!/usr/bin/env node
// `npm run test:pack`: the published package works from its prebuilt binaries alone.
//   1. a staging copy of the package sources (the work tree's build/ and prebuilds/ are left alone);
//   2. `npm run prebuild` there (prebuilds/linux-x64 on x86-64 Linux) and, when the cross toolchain exists,
//      `npm run prebuild:arm64` (prebuilds/linux-arm64);
//   3. `npm pack` (which runs `prepare`: dist/ and esm/), and a check of the tarball's contents and size;
//   4. the tarball installed into an empty project with no compiler on PATH (a PATH holding only node, npm and
//      the basic tools npm needs) - once with install scripts enabled (--ignore-scripts=false: the package's
//      `node-gyp-build-test || cmake-js compile` must succeed because the prebuild loads) and once with scripts
//      disabled (as npm configurations that block dependency scripts do); each time require('qint8').backend()
//      must be 'native', loaded from node_modules/qint8/prebuilds/, with nothing compiled, and ESM import works.
// Options: --keep (leave the temp folders), --no-arm64.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createStepLog, hasCommand, runMain } = require('./steps');

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const keep = process.argv.includes('--keep');
const noArm64 = process.argv.includes('--no-arm64');
const { log, timed, printTimings } = createStepLog('test:pack');
const failures = [];
function check(ok, what) {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}
const npmCli = (() => {
  // npm's own CLI script next to this node (the npm on PATH may be a shell wrapper)
  const candidates = [process.env.npm_execpath, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')];
  for (const c of candidates) if (c && /npm-cli\.js$/.test(c) && fs.existsSync(c)) return c;
  return null;
})();
function npm(args, opts) {
  return npmCli ? execFileSync(process.execPath, [npmCli, ...args], opts) : execFileSync('npm', args, opts);
}

/** The files the package is built from (a copy: staging never writes into the work tree). */
const STAGED = ['package.json', 'package-lock.json', 'README.md', 'LICENSE', 'CMakeLists.txt', 'cmake', 'native', 'lib', 'bench', 'bin',
  'binding.d.ts', 'tsconfig.json', 'tsconfig.build.json', 'scripts'];

function stage(dir) {
  for (const entry of STAGED) {
    const from = path.join(root, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

function prebuild(dir) {
  npm(['run', 'prebuild'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const target = `${os.platform()}-${os.arch()}`;
  const files = fs.existsSync(path.join(dir, 'prebuilds', target)) ? fs.readdirSync(path.join(dir, 'prebuilds', target)).filter((f) => f.endsWith('.node')) : [];
  check(files.length > 0, `npm run prebuild made prebuilds/${target}/${files[0] ?? '(nothing)'}`);
}

function prebuildArm64(dir) {
  if (noArm64) return log('prebuild:arm64 skipped (--no-arm64)');
  if (os.arch() !== 'arm64' && !hasCommand('aarch64-linux-gnu-g++')) return log('prebuild:arm64 skipped: no aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu)');
  npm(['run', 'prebuild:arm64'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  check(fs.existsSync(path.join(dir, 'prebuilds', 'linux-arm64', 'qint8.node')), 'npm run prebuild:arm64 made prebuilds/linux-arm64/qint8.node');
}

function pack(dir, dest) {
  const out = npm(['pack', '--json', '--pack-destination', dest], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const info = JSON.parse(out.slice(out.indexOf('[')))[0];
  return { tarball: path.join(dest, info.filename), info };
}

function checkContents(info) {
  const files = info.files.map((f) => f.path);
  const has = (p) => files.some((f) => f === p || f.startsWith(`${p}/`));
  const bad = files.filter((f) => /^(test|build|build-[^/]+|\.cache|node_modules|coverage|\.bench)\//.test(f) || /(^|\/)\.(git|cache)(\/|$)/.test(f));
  check(bad.length === 0, `no test/, build*/, .cache, node_modules in the tarball${bad.length ? `: ${bad.slice(0, 5).join(', ')}` : ''}`);
  for (const p of ['package.json', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/binding.d.ts', 'esm/index.mjs', 'binding.d.ts', 'CMakeLists.txt', 'native/napi', 'native/src', 'native/include']) {
    check(has(p), `tarball has ${p}`);
  }
  const prebuilt = files.filter((f) => /^prebuilds\/[^/]+\/[^/]+\.node$/.test(f));
  check(prebuilt.some((f) => f.startsWith(`prebuilds/${os.platform()}-${os.arch()}/`)), `tarball has prebuilds/${os.platform()}-${os.arch()} (${prebuilt.join(', ')})`);
  const extras = ['native/test', 'native/bench'].filter(has);
  if (extras.length) log(`note: the tarball also ships ${extras.join(', ')} (not needed to use or rebuild the package)`);
  return { files: files.length, prebuilt };
}

/** A folder whose only commands are node, npm and the basic tools npm and sh use - no cc, c++, g++, cmake, make. */
function compilerlessPath(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  if (npmCli) {
    // npm's bin/npm is a bash script; a shim that runs npm-cli.js with this node needs nothing else
    fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(npmCli)} "$@"\n`, { mode: 0o755 });
  } else {
    fs.symlinkSync(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()), path.join(bin, 'npm'));
  }
  for (const tool of ['sh', 'bash', 'env', 'uname', 'cat', 'ls', 'rm', 'mkdir', 'tar', 'gzip']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  for (const compiler of ['cc', 'c++', 'gcc', 'g++', 'clang', 'cmake', 'make', 'ninja']) {
    if (fs.existsSync(path.join(bin, compiler))) throw new Error(`${compiler} leaked into the compiler-less PATH`);
  }
  return bin;
}

function consumer(tarball, scripts, base) {
  const dir = fs.mkdtempSync(path.join(base, `consumer-${scripts ? 'scripts' : 'noscripts'}-`));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'qint8-consumer', version: '1.0.0', private: true }, null, 2));
  const bin = compilerlessPath(dir);
  const env = { ...process.env, PATH: bin, npm_config_ignore_scripts: String(!scripts), npm_config_audit: 'false', npm_config_fund: 'false',
    npm_config_update_notifier: 'false', npm_config_prefer_offline: 'true' };
  for (const k of Object.keys(env)) if (/^npm_(lifecycle|package|execpath|node_execpath)/.test(k)) delete env[k];
  delete env.INIT_CWD;
  const label = scripts ? 'install scripts on' : 'install scripts off';
  const noCompiler = spawnSync('sh', ['-c', 'command -v cc || command -v c++ || command -v g++ || command -v cmake'], { env, encoding: 'utf8' });
  check(noCompiler.status !== 0, `${label}: no compiler or cmake on the consumer's PATH`);
  const install = spawnSync(path.join(bin, 'npm'), ['install', tarball, `--ignore-scripts=${!scripts}`, '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel=warn'],
    { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!check(install.status === 0, `${label}: npm install ${path.basename(tarball)}`)) {
    console.log(`${install.stdout}\n${install.stderr}`.slice(-6000));
    return dir;
  }
  // --foreground-scripts: npm echoes each lifecycle script it runs ("> qint8@x install" / the command)
  const ran = /node-gyp-build-test \|\| cmake-js compile/.test(`${install.stdout}${install.stderr}`);
  if (scripts) log(`${label}: the package's install script ${ran ? 'ran and succeeded (node-gyp-build-test loaded the prebuild)' : 'was not run by this npm (a script policy); the package works without it'}`);
  else check(!ran, `${label}: no install script ran`);
  const installed = path.join(dir, 'node_modules', 'qint8');
  check(!fs.existsSync(path.join(installed, 'build')), `${label}: nothing was compiled (no node_modules/qint8/build/)`);
  const probe = `
    const q = require('qint8');
    const maps = require('fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.endsWith('.node')).map((l) => l.slice(l.indexOf('/')));
    const x = q.quantize({ shape: [3], data: Float32Array.of(-1, 0, 1) }, { scale: 0.01, zeroPoint: 0 });
    process.stdout.write(JSON.stringify({ backend: q.backend(), addon: [...new Set(maps)], q: Array.from(x.data) }));`;
  const cjs = spawnSync(path.join(bin, 'node'), ['-e', probe], { cwd: dir, env, encoding: 'utf8' });
  let info = null;
  try {
    info = JSON.parse(cjs.stdout);
  } catch {
    console.log(cjs.stdout, cjs.stderr);
  }
  const prebuiltDir = path.join(fs.realpathSync(installed), 'prebuilds', `${os.platform()}-${os.arch()}`);
  check(info !== null && info.backend.name === 'native', `${label}: require('qint8').backend().name is 'native'${info ? ` (isa ${info.backend.isa}${info.backend.reason ? `, reason: ${info.backend.reason}` : ''})` : ''}`);
  check(info !== null && info.addon.length === 1 && info.addon[0].startsWith(prebuiltDir), `${label}: the addon was loaded from ${path.relative(dir, prebuiltDir)}/${info ? ` (${info.addon.map((a) => path.relative(dir, a)).join(', ')})` : ''}`);
  check(info !== null && JSON.stringify(info.q) === '[-100,0,100]', `${label}: it computes (quantize)`);
  const esm = spawnSync(path.join(bin, 'node'), ['--input-type=module', '-e', "import { backend, quantize } from 'qint8'; import q from 'qint8'; process.stdout.write(JSON.stringify({ name: backend().name, same: q.quantize === quantize }));"],
    { cwd: dir, env, encoding: 'utf8' });
  check(esm.status === 0 && /"name":"native","same":true/.test(esm.stdout), `${label}: ESM import { backend } from 'qint8' works (${(esm.stdout || esm.stderr).trim().split('\n')[0]})`);
  const cli = spawnSync(path.join(dir, 'node_modules', '.bin', 'qint8'), ['info'], { cwd: dir, env, encoding: 'utf8' });
  check(cli.status === 0 && /native/.test(cli.stdout), `${label}: npx qint8 info runs (${cli.stdout.replace(/\s+/g, ' ').trim().slice(0, 100)})`);
  return dir;
}

function main() {
  if (os.platform() !== 'linux') throw new Error('test:pack checks the Linux prebuilds; run it on Linux');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-pack-'));
  const stageDir = path.join(base, 'package');
  fs.mkdirSync(stageDir);
  log(`staging in ${stageDir}`);
  try {
    timed('stage the package sources', () => stage(stageDir));
    timed(`npm run prebuild (prebuilds/${os.platform()}-${os.arch()})`, () => prebuild(stageDir));
    timed('npm run prebuild:arm64', () => prebuildArm64(stageDir));
    const { tarball, info } = timed('npm pack (runs prepare: dist/, esm/)', () => pack(stageDir, base));
    const contents = checkContents(info);
    const size = fs.statSync(tarball).size;
    log(`tarball ${path.basename(tarball)}: ${(size / 1024).toFixed(1)} KiB packed, ${(info.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${contents.files} files; prebuilds: ${contents.prebuilt.join(', ')}`);
    timed('install and use with install scripts on (no compiler)', () => consumer(tarball, true, base));
    timed('install and use with install scripts off (no compiler)', () => consumer(tarball, false, base));
    console.log('\nSummary');
    printTimings(60);
    console.log(`  tarball: ${path.basename(tarball)}, ${size} bytes packed (${(size / 1024).toFixed(1)} KiB), ${info.unpackedSize} bytes unpacked, ${contents.files} files`);
  } finally {
    if (keep) log(`kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
  if (failures.length) {
    console.log(`test:pack FAILED: ${failures.length} check(s)\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log(`test:pack passed (${pkg.name}@${pkg.version})`);
  }
}

runMain('test:pack', main, { showStack: true });
