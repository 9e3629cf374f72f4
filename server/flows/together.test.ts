import * as assert from 'node:assert/strict';
import { startEarly, together } from './together';

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
const failLater = (ms: number, message: string) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), ms));

describe('together: independent requests at once', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  before(() => process.on('unhandledRejection', record));
  after(() => process.off('unhandledRejection', record));

  it('returns the values in argument order', async () => {
    assert.deepEqual(await together([later(20, 'a'), later(1, 2)] as const), ['a', 2]);
  });

  it('throws the failure of the first request in argument order, not the first to fail', async () => {
    await assert.rejects(
      together([failLater(30, 'pipeline not found'), failLater(1, 'jobs failed')] as const),
      /pipeline not found/,
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  });

  it('leaves work started early unreported until its step awaits it', async () => {
    const early = startEarly(failLater(1, 'container did not start'));
    await later(20, undefined);
    assert.deepEqual(unhandled, []);
    await assert.rejects(early, /container did not start/);
  });
});
