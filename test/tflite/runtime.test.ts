// The runtime around the operators: the arena planner (reuse without overlap of live tensors) and its 64-byte
// line, RESHAPE as an alias, runAsync leaving the event loop free, the threads option, and the `qint8 run` command
// line.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as q from '../../lib/index';
import { loaded } from '../../lib/binding';
import { main, parseRunArgs } from '../../lib/cli';
import { planArena } from '../../lib/tflite/planner';
import { Gen } from '../helpers/ops';
import { buildTflite, ModelDef, OP, options } from './builder';

const g = new Gen(5150);

/** A chain of n ADDs of a constant to [1, size] tensors: every intermediate lives for one step. */
function chain(n: number, size: number): ModelDef {
  const t = (name: string): ModelDef['tensors'][number] => ({ name, shape: [1, size], type: 'int8', scale: 0.1, zeroPoint: 0 });
  const tensors: ModelDef['tensors'] = [t('x'), { ...t('c'), data: g.int8(size, -3, 3) }];
  const ops: ModelDef['ops'] = [];
  let prev = 0;
  for (let i = 0; i < n; i++) {
    tensors.push(t(`a${i}`));
    ops.push({ op: OP.ADD, inputs: [prev, 1], outputs: [tensors.length - 1], options: options.add() });
    prev = tensors.length - 1;
  }
  return { tensors, ops, inputs: [0], outputs: [prev] };
}

describe('memory planning', () => {
  it('places buffers whose lifetimes overlap apart, and reuses the others', () => {
    const buffers = [
      { size: 100, first: -1, last: 0 }, { size: 300, first: 0, last: 1 }, { size: 200, first: 1, last: 2 }, { size: 300, first: 2, last: 3 },
      { size: 50, first: 0, last: 3 },
    ];
    const plan = planArena(buffers);
    const end = (i: number): number => plan.offsets[i] + Math.ceil(buffers[i].size / 64) * 64;
    for (let i = 0; i < buffers.length; i++) {
      expect(plan.offsets[i] % 64).toBe(0);
      for (let j = i + 1; j < buffers.length; j++) {
        const live = buffers[i].first <= buffers[j].last && buffers[j].first <= buffers[i].last;
        if (live) expect(plan.offsets[i] >= end(j) || plan.offsets[j] >= end(i)).toBe(true);
      }
    }
    expect(plan.size).toBeLessThan(buffers.reduce((s, b) => s + Math.ceil(b.size / 64) * 64, 0));
  });

  it('a chain of 20 layers needs the arena of about two activations, and still computes each layer', async () => {
    const size = 1000;
    const model = chain(20, size);
    const m = await q.loadTflite(buildTflite(model));
    expect(m.arenaBytes).toBeLessThanOrEqual(3 * 1024);
    const x = g.int8(size);
    const steps = m.inspect([x]);
    expect(steps).toHaveLength(20);
    // each step is x plus the constant once more (all scales equal: ADD is exact up to saturation)
    const c = model.tensors[1].data as Int8Array;
    steps.forEach((s, i) => {
      for (let j = 0; j < size; j += 97) expect(s.tensor.data[j]).toBe(Math.max(-128, Math.min(127, x[j] + (i + 1) * c[j])));
    });
    expect(Array.from(m.run([x])[0])).toEqual(Array.from(steps[19].tensor.data));
  });

  (loaded.native ? it : it.skip)('the arena starts on a 64-byte line, so every activation does (native alignmentPadding)', async () => {
    const native = loaded.native!;
    const m = await q.loadTflite(buildTflite(chain(4, 1000)));
    // white box: the model's views (the run-time tensors share one arena buffer)
    const views = (m as unknown as { views: Map<number, Int8Array> }).views;
    const inputView = views.get(m.inputs[0].index)!;
    const arena = inputView.buffer as ArrayBuffer;
    const start = native.alignmentPadding(arena, 64);
    let inArena = 0;
    for (const v of views.values()) {
      if (v.buffer !== arena) continue;
      inArena++;
      expect((v.byteOffset - start) % 64).toBe(0);
    }
    expect(inArena).toBeGreaterThanOrEqual(2);
    // the raw function: a view made `padding` bytes in starts on the boundary, for any alignment
    const buffer = new ArrayBuffer(256);
    for (const alignment of [1, 2, 16, 64, 4096]) {
      const padding = native.alignmentPadding(buffer, alignment);
      expect(padding).toBeGreaterThanOrEqual(0);
      expect(padding).toBeLessThan(alignment);
      if (alignment <= 64) expect((native.alignmentPadding(buffer, 4096) - padding) % alignment).toBe(0);
    }
    // (the addon's errors come from Node's realm, not jest's: compare names and messages)
    const thrown = (f: () => unknown): Error => {
      try {
        f();
      } catch (err) {
        return err as Error;
      }
      throw new Error('did not throw');
    };
    const notBuffer = thrown(() => native.alignmentPadding(new Int8Array(4) as unknown as ArrayBuffer, 64));
    expect([notBuffer.name, notBuffer.message]).toEqual(['TypeError', 'qint8 native: buffer must be an ArrayBuffer']);
    for (const bad of [48, 0]) expect(thrown(() => native.alignmentPadding(buffer, bad)).name).toBe('RangeError');
  });

  it('RESHAPE shares its input\'s storage (no copy, no extra arena)', async () => {
    const def: ModelDef = {
      tensors: [
        { shape: [2, 6], type: 'int8', scale: 0.1 }, { shape: [3, 4], type: 'int8', scale: 0.1 }, { shape: [2], type: 'int32', data: Int32Array.of(-1, 4) },
      ],
      ops: [{ op: OP.RESHAPE, inputs: [0, 2], outputs: [1], options: options.reshape() }],
      inputs: [0],
      outputs: [1],
    };
    const m = await q.loadTflite(buildTflite(def));
    expect(m.arenaBytes).toBe(64);
    const x = g.int8(12);
    expect(Array.from(m.run([x])[0])).toEqual(Array.from(x));
    expect(m.outputs[0].shape).toEqual([3, 4]);
  });
});

/** Two 3x3 convolutions on a 64x64x16 input (the prepared layers' async twins run off the calling thread). */
function twoConvs(): ModelDef {
  const w = g.int8(2304, -127, 127);
  return {
    tensors: [
      { shape: [1, 64, 64, 16], type: 'int8', scale: 0.05 }, { shape: [16, 3, 3, 16], type: 'int8', data: w, scale: 0.01 },
      { shape: [1, 64, 64, 16], type: 'int8', scale: 0.2 }, { shape: [1, 64, 64, 16], type: 'int8', scale: 0.4 },
    ],
    ops: [
      { op: OP.CONV_2D, inputs: [0, 1, -1], outputs: [2], options: options.conv2d({ padding: 'SAME' }) },
      { op: OP.CONV_2D, inputs: [2, 1, -1], outputs: [3], options: options.conv2d({ padding: 'SAME' }) },
    ],
    inputs: [0],
    outputs: [3],
  };
}

describe('runAsync and threads', () => {
  it('runAsync yields to the event loop between layers that run on the calling thread, and equals run', async () => {
    // yieldMs 0: a turn after every layer computed here, however fast the machine
    const m = await q.loadTflite(buildTflite(chain(40, 1 << 16)), { yieldMs: 0 });
    const x = g.int8(1 << 16);
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const out = await m.runAsync([x]);
    running = false;
    expect(Array.from(out[0])).toEqual(Array.from(m.run([x])[0]));
    expect(ticks).toBeGreaterThan(0);
  });

  it('checks opts.yieldMs', async () => {
    const bytes = buildTflite(chain(1, 16));
    await expect(q.loadTflite(bytes, { yieldMs: -1 })).rejects.toThrow(new RangeError('loadTflite: opts.yieldMs must be a number of milliseconds >= 0, got -1'));
    await expect(q.loadTflite(bytes, { yieldMs: '2' as unknown as number })).rejects.toThrow(TypeError);
    await expect(q.loadTflite(bytes, { yieldMs: Infinity })).rejects.toThrow(RangeError);
  });

  it('conv layers of runAsync let timers run while they compute', async () => {
    const conv = twoConvs();
    const m = await q.loadTflite(buildTflite(conv));
    const x = g.int8(64 * 64 * 16);
    let ticks = 0;
    let running = true;
    const tick = (): void => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const pending = m.runAsync([x]);
    expect(() => m.run([x])).not.toThrow(); // queued async runs have not started yet
    const out = await pending;
    running = false;
    expect(ticks).toBeGreaterThan(0);
    expect(Array.from(out[0])).toEqual(Array.from(m.run([x])[0]));
  });

  it('dispose during a runAsync lets it finish and rejects the calls queued behind it', async () => {
    const m = await q.loadTflite(buildTflite(twoConvs()));
    const x = g.int8(64 * 64 * 16);
    const expected = Array.from(m.run([x])[0]);
    const first = m.runAsync([x]);
    const second = m.runAsync([x]);
    await new Promise((resolve) => setImmediate(resolve)); // the first call is now computing its first layer
    m.dispose();
    expect(Array.from((await first)[0])).toEqual(expected);
    await expect(second).rejects.toThrow('runAsync: the model was disposed');
    await expect(m.runAsync([x])).rejects.toThrow('runAsync: the model was disposed');
  });

  it('the threads option applies while the model runs and is restored after', async () => {
    const before = q.backend().threads;
    const m = await q.loadTflite(buildTflite(chain(3, 64)), { threads: 1 });
    m.run([g.int8(64)]);
    await m.runAsync([g.int8(64)]);
    expect(q.backend().threads).toBe(before);
    await expect(q.loadTflite(buildTflite(chain(1, 8)), { threads: 0 })).rejects.toThrow('loadTflite: opts.threads must be an integer in [1, 1024], got 0');
    await expect(q.loadTflite(buildTflite(chain(1, 8)), { profile: 'fast' as q.Profile })).rejects.toThrow(
      "loadTflite: opts.profile must be one of 'tflite-ref', 'tflite-single', 'xnnpack-fp32', got \"fast\"");
  });
});

describe('qint8 run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qint8-run-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function cli(argv: string[]): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(' '));
    });
    try {
      const code = await main(argv);
      return { code, out: lines.join('\n') };
    } finally {
      log.mockRestore();
    }
  }

  it('prints outputs raw, dequantized and their argmax; reads .bin and .npy inputs; --bench times it', async () => {
    const def: ModelDef = {
      tensors: [
        { name: 'in', shape: [1, 4], type: 'int8', scale: 0.5, zeroPoint: 1 }, { shape: [3, 4], type: 'int8', data: Int8Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0), scale: 1 },
        { name: 'scores', shape: [1, 3], type: 'int8', scale: 0.5, zeroPoint: -2 },
      ],
      ops: [{ op: OP.FULLY_CONNECTED, inputs: [0, 1, -1], outputs: [2], options: options.fullyConnected() }],
      inputs: [0],
      outputs: [2],
    };
    const model = path.join(dir, 'tiny.tflite');
    fs.writeFileSync(model, buildTflite(def));
    const bin = path.join(dir, 'x.bin');
    fs.writeFileSync(bin, Int8Array.of(5, 9, 3, 0));
    const r = await cli(['run', model, '--input', bin, '--bench', '--runs', '3']);
    expect(r.code).toBe(0);
    // scores = (x - 1) * w, requantized to scale 0.5, zero point -2: [4*0.5*1, 8*0.5*1, 2*0.5*2] / 0.5 - 2
    expect(r.out).toContain("output 0 'scores' int8 [1,3] scale 0.5 zero point -2");
    expect(r.out).toContain('  raw:         [2, 6, 2]');
    expect(r.out).toContain('  dequantized: [2, 4, 2]');
    expect(r.out).toContain('  argmax:      1 (4)');
    expect(r.out).toMatch(/latency: median \d+\.\d{3} ms over 3 runs/);
    // the same input as .npy (int8), and as float32 values
    const npy = (descr: string, body: Buffer): Buffer => {
      let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (1, 4), }`;
      header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
      const head = Buffer.alloc(10);
      head.write('\x93NUMPY', 0, 'latin1');
      head[6] = 1;
      head.writeUInt16LE(header.length, 8);
      return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
    };
    fs.writeFileSync(path.join(dir, 'x.npy'), npy('|i1', Buffer.from(Int8Array.of(5, 9, 3, 0).buffer)));
    fs.writeFileSync(path.join(dir, 'f.npy'), npy('<f4', Buffer.from(Float32Array.of(2, 4, 1, -0.5).buffer)));
    expect((await cli(['run', model, '--input', path.join(dir, 'x.npy')])).out).toContain('  raw:         [2, 6, 2]');
    expect((await cli(['run', model, '--input', path.join(dir, 'f.npy')])).out).toContain('  raw:         [2, 6, 2]');
    // without --input: the zero point, with a note
    const zeros = await cli(['run', model]);
    expect(zeros.out).toContain("note: no --input for input 0 'in' [1,4]: using its zero point (1) everywhere");
    expect(zeros.out).toContain('  raw:         [-2, -2, -2]');
  });

  it('refuses bad arguments and inputs with a message', async () => {
    expect(() => parseRunArgs([])).toThrow('qint8 run: the model file is missing');
    expect(() => parseRunArgs(['m.tflite', '--profile', 'fast'])).toThrow('qint8 run: --profile takes tflite-ref, tflite-single, xnnpack-fp32, got "fast"');
    expect(() => parseRunArgs(['m.tflite', '--runs', '0'])).toThrow('qint8 run: --runs takes an integer from 1 to 100000, got "0"');
    expect(() => parseRunArgs(['m.tflite', '--frobnicate'])).toThrow('qint8 run: unknown option "--frobnicate"');
    expect(parseRunArgs(['m.tflite', '--input', 'a.bin', '--input', 'b.bin', '--profile', 'tflite-single', '--bench'])).toEqual(
      { model: 'm.tflite', inputs: ['a.bin', 'b.bin'], profile: 'tflite-single', bench: true, runs: 50 });
    const model = path.join(dir, 'chain.tflite');
    fs.writeFileSync(model, buildTflite(chain(2, 8)));
    const short = path.join(dir, 'short.bin');
    fs.writeFileSync(short, new Uint8Array(7));
    await expect(cli(['run', model, '--input', short])).rejects.toThrow(
      `qint8 run: ${short} has 7 bytes; input 'x' int8 [1,8] needs exactly 8 (raw int8/uint8 codes)`);
  });

  const person = path.join(__dirname, '..', '..', '..', 'shared', 'models', 'person_detect.tflite');
  const personInput = path.join(__dirname, '..', '..', '..', 'shared', 'golden', 'models', 'person_detect', 'person.in0.bin');
  const haveShared = fs.existsSync(person) && fs.existsSync(personInput);
  (haveShared ? it : it.skip)(`person_detect on the person image scores [-113, 113]${haveShared ? '' : ' (skipped: ../shared not found)'}`, async () => {
    const r = await cli(['run', person, '--input', personInput]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('  raw:         [-113, 113]');
    expect(r.out).toContain('  argmax:      1 (0.941406)');
  });
});
