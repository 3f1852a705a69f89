// The benchmark's peer: onnxruntime-node, loaded only if the user installed it (a devDependency here, never
// a runtime dependency of qint8), with sessions created with fixed options, running one model on one input.
import * as path from 'path';
import type { OnnxModel } from './onnx/models';

/** The small part of onnxruntime-node's API the benchmark uses. */
interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

interface OrtSessionOptions {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode: 'sequential' | 'parallel';
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor | null>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'int8' | 'uint8', data: Int8Array | Uint8Array, dims: readonly number[]) => OrtTensor;
  env?: { versions?: { node?: string; common?: string } };
}

export type CodeArray = Int8Array | Uint8Array;

/** One onnxruntime session bound to one input and a preallocated output. */
export interface PeerRunner {
  /** One inference (session.run is asynchronous); resolves to the output codes. */
  run(): Promise<CodeArray>;
  release(): Promise<void>;
}

export interface Peer {
  name: 'onnxruntime-node';
  version: string;
  /** The session options used for `threads`, as recorded in the JSON. */
  sessionOptions(threads: number): OrtSessionOptions;
  /** A session of `model` with `threads` intra-op threads, fed `input` (the model input's dtype and shape). */
  create(model: OnnxModel, threads: number, input: CodeArray): Promise<PeerRunner>;
}

export type PeerLoad = { peer: Peer; reason?: undefined } | { peer: null; reason: string };

function isOrtModule(m: unknown): m is OrtModule {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  const session: unknown = r.InferenceSession;
  return typeof r.Tensor === 'function' && typeof session === 'function' && typeof (session as { create?: unknown }).create === 'function';
}

/** require() of an optional package: from qint8's own node_modules, then from the current directory's. */
function requireOptional(name: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as unknown;
  } catch (first) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(require.resolve(name, { paths: [process.cwd(), path.join(process.cwd(), 'node_modules')] })) as unknown;
    } catch {
      throw first;
    }
  }
}

function makePeer(ort: OrtModule, version: string): Peer {
  const sessionOptions = (threads: number): OrtSessionOptions => ({
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
  });
  return {
    name: 'onnxruntime-node',
    version,
    sessionOptions,
    async create(model, threads, input) {
      const session = await ort.InferenceSession.create(model.bytes, sessionOptions(threads));
      const feeds = { [model.input.name]: new ort.Tensor(model.input.dtype === 'int8' ? 'int8' : 'uint8', input, model.input.dims) };
      const n = model.output.dims.reduce((a, b) => a * b, 1);
      const outData: CodeArray = model.output.dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
      const fetches = { [model.output.name]: new ort.Tensor(model.output.dtype === 'int8' ? 'int8' : 'uint8', outData, model.output.dims) };
      // A preallocated output, as qint8 is given one; fall back to onnxruntime's own allocation if refused.
      let preallocated = true;
      try {
        await session.run(feeds, fetches);
      } catch {
        preallocated = false;
        try {
          await session.run(feeds);
        } catch (err) {
          await session.release();
          throw err; // the model's own failure
        }
      }
      const outName = model.output.name;
      const codes = (t: OrtTensor | undefined): CodeArray => {
        if (t === undefined || !(t.data instanceof Int8Array || t.data instanceof Uint8Array)) {
          throw new Error(`onnxruntime-node: output ${outName} is not int8/uint8 codes`);
        }
        return t.data;
      };
      return {
        run: preallocated
          ? () => session.run(feeds, fetches).then((r) => codes(r[outName]))
          : () => session.run(feeds).then((r) => codes(r[outName])),
        release: () => session.release(),
      };
    },
  };
}

/** onnxruntime-node if it is installed and loads; otherwise why not. */
export function loadOnnxruntime(): PeerLoad {
  let m: unknown;
  try {
    m = requireOptional('onnxruntime-node');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND') return { peer: null, reason: 'onnxruntime-node not installed' };
    return { peer: null, reason: `onnxruntime-node did not load (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
  if (!isOrtModule(m)) return { peer: null, reason: 'onnxruntime-node did not load (unexpected module shape)' };
  let version = m.env?.versions?.node ?? m.env?.versions?.common;
  if (version === undefined) {
    try {
      version = (requireOptional('onnxruntime-node/package.json') as { version?: string }).version;
    } catch {
      // package.json not exported: the version stays unknown
    }
  }
  return { peer: makePeer(m, version ?? 'unknown') };
}
