import { performance } from 'node:perf_hooks';
import { startBenchServer } from './bench-server';
import { Scope } from './scope';
import { distribution } from './stats';

async function timeIt(n: number, fn: () => Promise<unknown>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn().catch(() => undefined);
    out.push(performance.now() - t);
  }
  return distribution(out);
}

async function main() {
  const scope = new Scope();
  try {
    const { client } = await startBenchServer(scope);
    await client.request('tandem/session/list', {});
    console.log('session/list', await timeIt(200, () => client.request('tandem/session/list', { limit: 1 })));
    console.log('respond unknown', await timeIt(200, () => client.request('tandem/approval/respond', { approvalId: 'nope', decision: 'deny' })));
    console.log('shutdown-less invalid params', await timeIt(200, () => client.request('tandem/approval/respond', {})));
    console.log('session/list', await timeIt(200, () => client.request('tandem/session/list', { limit: 1 })));
  } finally {
    await scope.close();
  }
}
void main();
