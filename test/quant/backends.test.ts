// The backend switch: native loads here (the suite's other tests rely on it), QINT8_BACKEND=js forces the
// TypeScript kernels, QINT8_ISA forces a usable kernel family, and bad values are reported.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { backend } from '../../lib';
import { nativeKernels } from '../helpers/backends';

const root = path.join(__dirname, '..', '..');
// Evaluates `expression` (with `q` = the library, transpiled from lib/ on the fly) in a child process with `env`.
function inChild(env: Record<string, string>, expression: string): string {
  const script = `
    const ts = require('typescript');
    const fs = require('fs');
    const Module = require('module');
    Module._extensions['.ts'] = function (m, filename) {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
      m._compile(out.outputText, filename);
    };
    const q = require('./lib/index.ts');
    process.stdout.write(JSON.stringify(${expression}));`;
  return execFileSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('backend selection', () => {
  it('loads the native addon in this checkout (npm install builds it)', () => {
    expect(nativeKernels).not.toBeNull();
    expect(backend().name).toBe('native');
  });

  it('selects a SIMD family by default where the CPU and the build have one', () => {
    const info = backend();
    const simd = (info.compiledIsas ?? []).filter((i) => i !== 'scalar' && (info.cpuIsas ?? []).includes(i));
    if (simd.length > 0) expect(info.isa).toBe(simd[simd.length - 1]);
    else expect(info.isa).toBe('scalar');
  });

  it('QINT8_BACKEND=js runs the TypeScript kernels and says why', () => {
    const info = JSON.parse(inChild({ QINT8_BACKEND: 'js' }, 'q.backend()'));
    expect(info).toMatchObject({ name: 'js', isa: 'js', reason: 'QINT8_BACKEND=js' });
  });

  it('QINT8_ISA forces each usable family', () => {
    const usable = backend().name === 'native' ? (backend().compiledIsas ?? []).filter((i) => (backend().cpuIsas ?? []).includes(i)) : [];
    for (const isa of usable) {
      const info = JSON.parse(inChild({ QINT8_ISA: isa }, 'q.backend()'));
      expect(info.isa).toBe(isa);
    }
  });

  it('rejects an unknown QINT8_ISA and QINT8_BACKEND value at load', () => {
    expect(() => inChild({ QINT8_ISA: 'sse9' }, '1')).toThrow(/QINT8_ISA must be one of .*got "sse9"/);
    expect(() => inChild({ QINT8_BACKEND: 'gpu' }, '1')).toThrow(/QINT8_BACKEND must be 'js' or 'native', got "gpu"/);
  });
});
