// The only place that loads the native addon (node-gyp-build: a local build, then prebuilds/).
// When it cannot load, or QINT8_BACKEND=js, every operation runs on the pure-TypeScript backend.
import * as fs from 'fs';
import * as path from 'path';
import type { NativeBinding } from '../binding';

export interface LoadResult {
  native: NativeBinding | null;
  /** Why the native addon is not used, when it is not. */
  reason?: string;
}

/** The package root: the nearest directory above this file whose package.json is qint8's. */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'qint8') return dir;
      } catch {
        // not a readable manifest: keep looking upwards
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.join(__dirname, '..');
    dir = parent;
  }
}

function loadNative(): LoadResult {
  const forced = process.env.QINT8_BACKEND;
  if (forced !== undefined && forced !== '' && forced !== 'js' && forced !== 'native') {
    throw new RangeError(`qint8: QINT8_BACKEND must be 'js' or 'native', got ${JSON.stringify(forced)}`);
  }
  if (forced === 'js') return { native: null, reason: 'QINT8_BACKEND=js' };
  let native: NativeBinding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => unknown;
    native = load(packageRoot()) as NativeBinding;
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    if (forced === 'native') {
      throw new Error(`qint8: QINT8_BACKEND=native but the native addon did not load: ${why}\n` +
        'Possible solutions: run `npm rebuild qint8` (needs cmake and a C++17 compiler), or install on a platform with a prebuilt binary.');
    }
    return { native: null, reason: `native addon did not load (${why}); run \`npm rebuild qint8\` to build it` };
  }
  const isa = process.env.QINT8_ISA;
  if (isa !== undefined && isa !== '') {
    const usable = native.info().usableIsas;
    if (!usable.includes(isa)) {
      throw new RangeError(`qint8: QINT8_ISA must be one of ${usable.join(', ')} on this CPU and build, got ${JSON.stringify(isa)}`);
    }
    native.setIsa(isa);
  }
  return { native };
}

export const loaded: LoadResult = loadNative();
