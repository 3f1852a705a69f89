// worker_threads: the addon is context-aware with per-environment state. It loads in 4 workers at once, each
// worker's ISA and thread count are its own, every worker computes the main thread's bits, and workers that
// exit or are terminated in the middle of async work unload cleanly while the process keeps working.
// Everything runs in a child process, so a crash is a failed test rather than a dead jest worker.
import * as path from 'path';
import { backend } from '../../lib';
import { expectClean, FIXTURES, runNode } from './child';

const WORKER_PRELUDE = `
  const { parentPort, workerData } = require('worker_threads');
  const fx = require(${JSON.stringify(path.join(FIXTURES, 'register.js'))});
  const casesLib = require(${JSON.stringify(path.join(FIXTURES, 'cases.js'))});
  const q = fx.lib();
`;

describe('worker_threads', () => {
  it('runs on the native backend', () => {
    expect(backend().name).toBe('native');
  });

  interface WorkerReport {
    id: number;
    wanted: { isa: string; threads: number };
    before: { name: string; isa: string; threads: number };
    after: { name: string; isa: string; threads: number };
    digests: Record<string, string>;
  }
  interface LoadReport {
    main: { isa: string; threads: number; digests: Record<string, string> };
    mainAfter: { isa: string; threads: number };
    workers: WorkerReport[];
    exitCodes: number[];
  }

  it('loads in 4 workers at once, each with its own ISA and thread count, all giving the main thread\'s bits', () => {
    const r = runNode<LoadReport>(`
      const { Worker } = require('worker_threads');
      const digests = () => {
        const { cases, dispose } = casesLib.makeCases(q, 'small', 11);
        const out = {};
        for (const c of cases) out[c.name] = fx.digest(casesLib.resultData(c.sync()));
        return Promise.all(cases.map((c) => c.async())).then((rs) => {
          rs.forEach((r, i) => { out[cases[i].name + ' async'] = fx.digest(casesLib.resultData(r)); });
          dispose();
          return out;
        });
      };
      const code = ${JSON.stringify(WORKER_PRELUDE)} + \`
        const before = q.backend();
        q.setThreads(workerData.threads);
        parentPort.postMessage({ type: 'set' });
        parentPort.once('message', async () => {
          // every worker has set its own ISA (QINT8_ISA in its env) and thread count by now
          const after = q.backend();
          const { cases, dispose } = casesLib.makeCases(q, 'small', 11);
          const digests = {};
          for (const c of cases) digests[c.name] = fx.digest(casesLib.resultData(c.sync()));
          const rs = await Promise.all(cases.map((c) => c.async()));
          rs.forEach((r, i) => { digests[cases[i].name + ' async'] = fx.digest(casesLib.resultData(r)); });
          dispose();
          parentPort.postMessage({ type: 'done', report: { id: workerData.id, wanted: { isa: workerData.isa, threads: workerData.threads },
            before: { name: before.name, isa: before.isa, threads: before.threads },
            after: { name: after.name, isa: after.isa, threads: after.threads }, digests } });
        });
      \`;
      (async () => {
        const mainInfo = q.backend();
        const main = { isa: mainInfo.isa, threads: mainInfo.threads, digests: await digests() };
        const usable = mainInfo.compiledIsas.filter((i) => mainInfo.cpuIsas.includes(i));
        const workers = [];
        for (let id = 0; id < 4; id++) {
          const isa = usable[id % usable.length];
          const threads = 1 + (id % 2);
          const w = new Worker(code, { eval: true, env: { ...process.env, QINT8_ISA: isa }, workerData: { id, isa, threads } });
          // listen for 'exit' from the start: it may be emitted right after the last message
          w.exited = new Promise((resolve) => w.once('exit', resolve));
          workers.push(w);
        }
        const messages = workers.map((w) => new Promise((resolve, reject) => {
          const seen = [];
          w.on('message', (m) => { seen.push(m); if (m.type === 'set') w.__set = true; if (m.type === 'done') resolve(m.report); });
          w.on('error', reject);
        }));
        // barrier: all four have set their state before any of them reads it back
        await new Promise((resolve) => { const t = setInterval(() => { if (workers.every((w) => w.__set)) { clearInterval(t); resolve(); } }, 5); });
        workers.forEach((w) => w.postMessage('go'));
        const reports = await Promise.all(messages);
        const exitCodes = await Promise.all(workers.map((w) => w.exited));
        const after = q.backend();
        fx.report({ main, mainAfter: { isa: after.isa, threads: after.threads }, workers: reports, exitCodes });
      })().catch((e) => { console.error(e); process.exit(1); });
    `, { timeoutMs: 120000 });
    const rep = expectClean(r);
    console.log(`workers: main isa ${rep.main.isa} threads ${rep.main.threads}; ` +
      rep.workers.map((w) => `worker ${w.id}: isa ${w.after.isa} threads ${w.after.threads}`).join('; '));
    expect(rep.workers).toHaveLength(4);
    expect(rep.exitCodes).toEqual([0, 0, 0, 0]);
    for (const w of rep.workers) {
      expect(w.after.name).toBe('native');
      expect({ isa: w.after.isa, threads: w.after.threads }).toEqual({ isa: w.wanted.isa, threads: Math.min(w.wanted.threads, rep.main.threads) });
      expect(w.digests).toEqual(rep.main.digests);
    }
    // the main thread's environment was not touched by the workers' setIsa / setThreads
    expect(rep.mainAfter).toEqual({ isa: rep.main.isa, threads: rep.main.threads });
    expect(Object.keys(rep.main.digests).length).toBeGreaterThanOrEqual(20);
  }, 150000);

  interface TerminateReport {
    rounds: number;
    terminated: number;
    startedAsync: number;
    mainOk: boolean;
    lateWorker: string;
    exitCodes: number[];
  }

  it('survives workers terminated in the middle of async work, and keeps working afterwards', () => {
    const r = runNode<TerminateReport>(`
      const { Worker } = require('worker_threads');
      const code = ${JSON.stringify(WORKER_PRELUDE)} + \`
        const { cases } = casesLib.makeCases(q, workerData.large ? 'large' : 'small', 5);
        let n = 0;
        (async function loop() {
          for (;;) {
            const pending = cases.map((c) => c.async());   // many in flight at once
            if (n === 0) parentPort.postMessage('started');
            n += pending.length;
            await Promise.all(pending);
          }
        })();
      \`;
      (async () => {
        const { cases, dispose } = casesLib.makeCases(q, 'small', 5);
        const expected = cases.map((c) => fx.digest(casesLib.resultData(c.sync())));
        let terminated = 0, startedAsync = 0;
        const exitCodes = [];
        const rounds = 6;
        for (let round = 0; round < rounds; round++) {
          const workers = [0, 1, 2, 3].map((i) => new Worker(code, { eval: true, workerData: { large: i % 2 === 0 } }));
          await Promise.all(workers.map((w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
          startedAsync += workers.length;
          // the main thread computes while the workers' async work is in flight, then they are terminated at
          // staggered moments (some right away, some mid-batch)
          for (const c of cases) c.async();
          await new Promise((resolve) => setTimeout(resolve, 3 * round));
          const codes = await Promise.all(workers.map((w, i) => new Promise((resolve) => setTimeout(() => resolve(w.terminate()), i * 7))));
          exitCodes.push(...codes);
          terminated += workers.length;
        }
        // the process still computes the same bits, sync and async
        const after = cases.map((c) => fx.digest(casesLib.resultData(c.sync())));
        const afterAsync = (await Promise.all(cases.map((c) => c.async()))).map((r) => fx.digest(casesLib.resultData(r)));
        const mainOk = after.every((d, i) => d === expected[i]) && afterAsync.every((d, i) => d === expected[i]);
        // and a fresh worker still loads the addon and reports native
        const late = new Worker(${JSON.stringify(WORKER_PRELUDE)} + "parentPort.postMessage(q.backend().name);", { eval: true });
        const lateExited = new Promise((resolve) => late.once('exit', resolve));
        const lateWorker = await new Promise((resolve, reject) => { late.once('message', resolve); late.once('error', reject); });
        await lateExited;
        dispose();
        fx.report({ rounds, terminated, startedAsync, mainOk, lateWorker, exitCodes });
      })().catch((e) => { console.error(e); process.exit(1); });
    `, { timeoutMs: 120000 });
    const rep = expectClean(r);
    console.log(`workers: ${rep.terminated} workers terminated mid-async over ${rep.rounds} rounds; main thread ok: ${rep.mainOk}`);
    expect(rep.terminated).toBe(24);
    expect(rep.exitCodes.every((c) => c === 1)).toBe(true); // terminate() resolves to exit code 1
    expect(rep.mainOk).toBe(true);
    expect(rep.lateWorker).toBe('native');
  }, 150000);

  it('loads and unloads in 24 short-lived workers in turn (environment teardown frees the per-instance state)', () => {
    const r = runNode<{ names: string[]; codes: number[] }>(`
      const { Worker } = require('worker_threads');
      (async () => {
        const names = [], codes = [];
        for (let i = 0; i < 24; i++) {
          const w = new Worker(${JSON.stringify(WORKER_PRELUDE)} + \`
            const { cases, dispose } = casesLib.makeCases(q, 'small', 2);
            Promise.all(cases.map((c) => c.async())).then(() => { dispose(); parentPort.postMessage(q.backend().name); });
          \`, { eval: true });
          const exited = new Promise((resolve) => w.once('exit', resolve)); // attached first: 'exit' may follow the message at once
          names.push(await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); }));
          codes.push(await exited);
        }
        fx.report({ names, codes });
      })().catch((e) => { console.error(e); process.exit(1); });
    `, { timeoutMs: 120000 });
    const rep = expectClean(r);
    expect(rep.names).toEqual(new Array(24).fill('native'));
    expect(rep.codes).toEqual(new Array(24).fill(0));
  }, 150000);
});
