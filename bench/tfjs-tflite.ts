// The models benchmark's optional peer @tensorflow/tfjs-tflite (TFLite in WebAssembly; a devDependency only). Under
// Node its emscripten loader needs `self`, `location`, an `importScripts` handing it the wasm bytes, and no
// `MessageChannel`, which selects the single-threaded SIMD build.
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';

interface TfTensor {
  dataSync(): ArrayLike<number>;
  dispose(): void;
}

interface TfCore {
  setBackend(name: string): Promise<boolean>;
  tensor(values: Int32Array, shape: number[], dtype: 'int32'): TfTensor;
  version_core?: string;
}

interface TfliteModelPeer {
  inputs: Array<{ shape?: number[]; dtype?: string }>;
  predict(x: TfTensor): TfTensor | TfTensor[] | Record<string, TfTensor>;
}

interface TfliteModule {
  setWasmPath(path: string): void;
  loadTFLiteModel(model: ArrayBuffer, options: { numThreads: number }): Promise<TfliteModelPeer>;
}

/** One loaded peer model bound to one input: run() returns the first output's values. */
export interface TfjsRunner {
  run(): ArrayLike<number>;
  dispose(): void;
}

export interface TfjsPeer {
  name: '@tensorflow/tfjs-tflite';
  version: string;
  /** Loads a model (refusals reject, e.g. person_detect's out-of-range quantized_dimension), fed int8 codes. */
  create(model: Uint8Array, input: Int8Array, shape: readonly number[]): Promise<TfjsRunner>;
}

export type TfjsLoad = { peer: TfjsPeer; reason?: undefined } | { peer: null; reason: string };

function resolveFrom(name: string): string {
  return require.resolve(name, { paths: [process.cwd(), path.join(__dirname, '..'), path.join(__dirname, '..', '..')] });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** What the WebAssembly runtime printed on its error stream since the last take() (it explains refusals). */
const printed: string[] = [];
function takePrinted(): string[] {
  return printed.splice(0, printed.length);
}

/** Installs the browser globals once; returns a function that removes the MessageChannel override. */
function installShim(wasmDir: string): () => void {
  const g = globalThis as unknown as Record<string, unknown>;
  g.self ??= globalThis;
  g.location ??= { origin: '', href: `file://${wasmDir}x` };
  const savedChannel = g.MessageChannel;
  g.MessageChannel = undefined; // feature detection then reports no threads: the single-threaded build
  g.importScripts = (script: string): void => {
    vm.runInThisContext(fs.readFileSync(script, 'utf8'), { filename: script });
    const factory = g.tflite_web_api_ModuleFactory;
    if (typeof factory !== 'function') throw new Error(`tfjs-tflite: ${script} did not define tflite_web_api_ModuleFactory`);
    const wasmBinary = fs.readFileSync(script.replace(/\.js$/, '.wasm'));
    const printErr = (text: unknown): void => {
      printed.push(String(text));
    };
    g.tflite_web_api_ModuleFactory = (opts: Record<string, unknown>): unknown => (factory as (o: Record<string, unknown>) => unknown)({ ...opts, wasmBinary, printErr });
  };
  return () => {
    g.MessageChannel = savedChannel;
  };
}

/** Loads the peer when @tensorflow/tfjs-tflite, tfjs-core and tfjs-backend-cpu are installed. */
export async function loadTfjsTflite(): Promise<TfjsLoad> {
  let tflitePath: string;
  try {
    tflitePath = resolveFrom('@tensorflow/tfjs-tflite');
  } catch {
    return { peer: null, reason: '@tensorflow/tfjs-tflite is not installed' };
  }
  const pkgDir = path.dirname(resolveFrom('@tensorflow/tfjs-tflite/package.json'));
  const wasmDir = `${path.join(pkgDir, 'wasm')}${path.sep}`;
  const restore = installShim(wasmDir);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tf = require(resolveFrom('@tensorflow/tfjs-core')) as TfCore;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(resolveFrom('@tensorflow/tfjs-backend-cpu'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tflite = require(tflitePath) as TfliteModule;
    await tf.setBackend('cpu');
    tflite.setWasmPath(wasmDir);
    const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
    const peer: TfjsPeer = {
      name: '@tensorflow/tfjs-tflite',
      version,
      async create(model, input, shape) {
        const copy = model.slice();
        // the runtime prints its reasons on its error stream (collected by the shim): attached to a refusal
        takePrinted();
        let m: TfliteModelPeer;
        try {
          m = await tflite.loadTFLiteModel(copy.buffer, { numThreads: 1 });
        } catch (err) {
          const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
          const said = takePrinted();
          throw new Error(said.length > 0 ? `${why} (${said[0].replace(/^ERROR: /, '')})` : why);
        }
        // the CPU backend greets Node users on its first tensor: silenced
        const warn = console.warn;
        console.warn = () => undefined;
        let x: TfTensor;
        try {
          x = tf.tensor(Int32Array.from(input), shape.slice(), 'int32');
        } finally {
          console.warn = warn;
        }
        const first = (y: ReturnType<TfliteModelPeer['predict']>): TfTensor => {
          if (Array.isArray(y)) return y[0];
          if (isObject(y) && typeof (y as { dataSync?: unknown }).dataSync !== 'function') return Object.values(y as Record<string, TfTensor>)[0];
          return y as TfTensor;
        };
        return {
          run() {
            // predict warns on every call that it converts the int32 input to the model's int8: silenced
            const warn = console.warn;
            console.warn = () => undefined;
            try {
              const y = first(m.predict(x));
              const values = y.dataSync();
              y.dispose();
              return values;
            } finally {
              console.warn = warn;
            }
          },
          dispose: () => x.dispose(),
        };
      },
    };
    return { peer };
  } catch (err) {
    restore();
    return { peer: null, reason: `@tensorflow/tfjs-tflite did not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}
