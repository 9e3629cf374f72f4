import assert from 'node:assert/strict';
import {
  backoffDelayMs,
  isRetryableStatus,
  MAX_BACKOFF_MS,
  MAX_RETRY_AFTER_MS,
  retryDelayMs,
  serverRequestedDelayMs,
  sleep,
} from './retry-policy';

const NOW = Date.parse('2025-06-01T12:00:00Z');

describe('retry policy', () => {
  describe('isRetryableStatus', () => {
    const cases: [number, boolean][] = [
      [429, true],
      [500, true],
      [502, true],
      [503, true],
      [599, true],
      [400, false],
      [401, false],
      [403, false],
      [404, false],
      [408, false],
      [600, false],
    ];
    for (const [status, expected] of cases) {
      it(`${status} → ${expected ? 'retry' : 'give up'}`, () => {
        assert.equal(isRetryableStatus(status), expected);
      });
    }
  });

  describe('backoffDelayMs', () => {
    const noJitter = () => 0;
    it('doubles from the base delay', () => {
      assert.deepEqual(
        [1, 2, 3, 4].map((retry) => backoffDelayMs(retry, 100, noJitter)),
        [100, 200, 400, 800],
      );
    });

    it('is capped at 30 s', () => {
      assert.equal(backoffDelayMs(20, 1000, noJitter), MAX_BACKOFF_MS);
    });

    it('takes at most a quarter off at random', () => {
      assert.equal(
        backoffDelayMs(1, 1000, () => 1),
        750,
      );
      assert.equal(
        backoffDelayMs(1, 1000, () => 0.5),
        875,
      );
      assert.equal(
        backoffDelayMs(20, 1000, () => 1),
        MAX_BACKOFF_MS * 0.75,
      );
    });
  });

  describe('serverRequestedDelayMs', () => {
    const check = (headers: Record<string, string>, expected: number | undefined) =>
      assert.equal(serverRequestedDelayMs(new Headers(headers), NOW), expected);

    it('reads Retry-After in seconds', () => check({ 'retry-after': '2' }, 2000));
    it('reads fractional seconds', () => check({ 'retry-after': '0.5' }, 500));
    it('reads Retry-After as an HTTP date', () =>
      check({ 'retry-after': new Date(NOW + 7000).toUTCString() }, 7000));
    it('treats a date in the past as now', () =>
      check({ 'retry-after': new Date(NOW - 7000).toUTCString() }, 0));
    it('prefers retry-after-ms', () => check({ 'retry-after-ms': '250', 'retry-after': '9' }, 250));
    it('caps at 60 s', () => check({ 'retry-after': '3600' }, MAX_RETRY_AFTER_MS));
    it('ignores garbage', () => check({ 'retry-after': 'soon' }, undefined));
    it('ignores negative values', () => check({ 'retry-after': '-1' }, undefined));
    it('falls back to Retry-After when retry-after-ms is garbage', () =>
      check({ 'retry-after-ms': 'x', 'retry-after': '1' }, 1000));
    it('is undefined without headers', () =>
      assert.equal(serverRequestedDelayMs(undefined), undefined));
  });

  describe('retryDelayMs', () => {
    it("uses the server's wish when there is one", () => {
      assert.equal(retryDelayMs(3, 10, new Headers({ 'retry-after': '1' })), 1000);
    });
    it('backs off on its own otherwise', () => {
      assert.equal(
        retryDelayMs(3, 10, new Headers(), () => 0),
        40,
      );
    });
  });

  describe('sleep', () => {
    it('returns as soon as the signal aborts', async () => {
      const controller = new AbortController();
      const slept = sleep(60_000, controller.signal);
      controller.abort();
      await slept;
    });

    it('returns at once for an aborted signal', async () => {
      await sleep(60_000, AbortSignal.abort());
    });

    it('waits at least the delay', async () => {
      const started = Date.now();
      await sleep(30);
      assert.ok(Date.now() - started >= 29);
    });
  });
});
