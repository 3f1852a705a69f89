// Calibration observers (per tensor and per axis) and batch-norm folding (spec 6).
import { chooseQuantParams, foldBatchNorm, HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver } from '../../lib';

const f32 = Math.fround;

describe('MinMaxObserver', () => {
  it('tracks the running range and applies chooseQuantParams', () => {
    const o = new MinMaxObserver();
    o.observe(Float32Array.of(-0.1, 0.5));
    o.observe({ shape: [2], data: Float32Array.of(1.7, -0.3) });
    expect(o.quantParams()).toEqual(chooseQuantParams(-0.3, 1.7));
    expect(o.quantParams({ dtype: 'uint8' })).toEqual(chooseQuantParams(-0.3, 1.7, { dtype: 'uint8' }));
  });
  it('per axis: one range per slice', () => {
    const o = new MinMaxObserver({ axis: 1 });
    o.observe({ shape: [2, 2], data: Float32Array.of(-1, 0.5, 2, 6) });
    const p = o.quantParams() as { scale: Float32Array; zeroPoint: Int32Array; axis: number };
    expect(p.axis).toBe(1);
    expect(Array.from(p.scale)).toEqual([chooseQuantParams(-1, 2).scale, chooseQuantParams(0, 6).scale]);
    expect(Array.from(p.zeroPoint)).toEqual([chooseQuantParams(-1, 2).zeroPoint, -128]);
  });
});

describe('MovingAverageMinMaxObserver', () => {
  it('starts at the first batch and moves by momentum', () => {
    const o = new MovingAverageMinMaxObserver({ momentum: 0.5 });
    o.observe(Float32Array.of(-1, 1));
    o.observe(Float32Array.of(-3, 5));
    expect(o.range()).toEqual({ min: Float64Array.of(-2), max: Float64Array.of(3) });
    expect(o.quantParams()).toEqual(chooseQuantParams(-2, 3));
  });
});

describe('HistogramObserver', () => {
  const data = new Float32Array(10001);
  for (let i = 0; i < 10000; i++) data[i] = (i / 10000) * 2 - 1; // uniform on [-1, 1)
  data[10000] = 50; // one outlier

  it('percentile clips the outlier', () => {
    const o = new HistogramObserver({ percentile: 99.9 });
    o.observe(data);
    const { min, max } = o.range();
    expect(min[0]).toBeLessThan(-0.9);
    expect(max[0]).toBeLessThan(2);
    expect(max[0]).toBeGreaterThan(0.9);
  });
  it('mse never widens the observed range and trims the sparse Laplace tails', () => {
    const laplace = new Float32Array(20000);
    let seed = 12345;
    const uniform = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) + 0.5) / 4294967296;
    for (let i = 0; i < laplace.length; i++) laplace[i] = (uniform() < 0.5 ? -1 : 1) * -Math.log(uniform()) * 0.1;
    const o = new HistogramObserver({ method: 'mse', bins: 512 });
    o.observe(laplace.subarray(0, 10000));
    o.observe(laplace.subarray(10000)); // widening re-bins
    const observed = new MinMaxObserver();
    observed.observe(laplace);
    const { min, max } = o.range();
    expect(max[0]).toBeLessThan(observed.range().max[0]);
    expect(min[0]).toBeGreaterThan(observed.range().min[0]);
    expect(max[0]).toBeGreaterThan(0.5 * observed.range().max[0]); // 8 bits: the optimum clips only a little
    const p = o.quantParams() as { scale: number; zeroPoint: number };
    expect(p.scale).toBeLessThan((observed.quantParams() as { scale: number }).scale);
  });
  it('per axis', () => {
    const o = new HistogramObserver({ axis: 0, bins: 64, percentile: 100 });
    o.observe({ shape: [2, 3], data: Float32Array.of(-1, 0, 1, 2, 3, 4) });
    const { min, max } = o.range();
    expect(Array.from(min)).toEqual([-1, 2]);
    expect(Array.from(max)).toEqual([1, 4]);
  });
});

describe('foldBatchNorm', () => {
  it('folds per output channel in float32, converter order', () => {
    const weights = { shape: [2, 1, 1, 2], data: Float32Array.of(1, -2, 0.5, 4) };
    const p = {
      weights, bias: Float32Array.of(0.1, -0.2), gamma: Float32Array.of(2, -1), beta: Float32Array.of(0.5, 0),
      mean: Float32Array.of(1, -1), variance: Float32Array.of(3, 0.25), epsilon: 1, axis: 0,
    };
    const r = foldBatchNorm(p);
    const k0 = f32(2 / f32(Math.sqrt(4)));
    const k1 = f32(-1 / f32(Math.sqrt(1.25)));
    expect(Array.from(r.weights.data)).toEqual([f32(1 * k0), f32(-2 * k0), f32(0.5 * k1), f32(4 * k1)]);
    expect(Array.from(r.bias)).toEqual([f32(f32(0.1 * k0) + f32(0.5 - f32(1 * k0))), f32(f32(-0.2 * k1) + f32(0 - f32(-1 * k1)))]);
  });
  it('depthwise folds along axis 3 and works without a bias', () => {
    const r = foldBatchNorm({
      weights: { shape: [1, 1, 2, 2], data: Float32Array.of(1, 1, 1, 1) }, gamma: Float32Array.of(1, 3), beta: Float32Array.of(0, 0),
      mean: Float32Array.of(0, 1), variance: Float32Array.of(1, 1), epsilon: 0, axis: 3,
    });
    expect(Array.from(r.weights.data)).toEqual([1, 3, 1, 3]);
    expect(Array.from(r.bias)).toEqual([0, -3]);
  });
});
