import * as assert from 'node:assert/strict';
import { docker } from '../support/docker-world';
import type { ProtocolClient } from '../support/protocol-client';
import { isFinished, sessionWhere } from '../support/sessions';
import type { ApprovalRequestedParams } from '../../server/protocol';
import { Approver, checkStore, faultWorldHooks, slowProject, startFaultWorld } from './fault-world';

/** Three seconds without progress counts as stuck here (the default is ten minutes). */
const STUCK = { sessions: { stuckMinutes: 0.05 } };

async function containersOf(sessionId: string): Promise<number> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`org.tandem.session=${sessionId}`] },
  });
  return list.length;
}

/** Waits (up to 20 s) for the session's containers to be removed; answers how many are left. */
async function containersLeft(sessionId: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    if ((await containersOf(sessionId)) === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return containersOf(sessionId);
}

function firstCommand(client: ProtocolClient): Promise<ApprovalRequestedParams> {
  return client.waitFor<ApprovalRequestedParams>(
    'tandem/approval/requested',
    (p) => p.kind === 'command',
    120_000,
  );
}

describe('no session is left spinning: the watchdog, and cancel in the middle of a command (slow)', function () {
  this.timeout(300_000);
  const worlds = faultWorldHooks();

  it('a model that never answers: failed as "model unresponsive", well before the model’s own timeout', async () => {
    const world = worlds.track(await startFaultWorld());
    world.beforeModel = () => ({ hang: true });
    const client = await world.start({}, STUCK);
    new Approver(client);
    const sessionId = await world.startFix(client);
    const started = performance.now();
    const failed = await sessionWhere(client, sessionId, isFinished, 120_000);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /model unresponsive/);
    assert.match(failed.error ?? '', /tandem\.sessions\.stuckMinutes/);
    console.log(`      ${failed.error} (${Math.round(performance.now() - started)} ms)`);
    assert.equal(await containersLeft(sessionId), 0, 'its sandbox is gone');
    assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
  });

  it('a command that hangs silently: failed as "container hung", the command killed with its container', async () => {
    const world = worlds.track(await startFaultWorld(slowProject(120)));
    const client = await world.start({}, STUCK);
    new Approver(client);
    const sessionId = await world.startFix(client);
    await firstCommand(client);
    const asked = performance.now();
    const failed = await sessionWhere(client, sessionId, isFinished, 100_000);
    const ms = performance.now() - asked;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /container hung/);
    assert.ok(ms < 60_000, `stopped after ${Math.round(ms)} ms, not when the 120 s sleep ended`);
    console.log(`      ${failed.error} (${Math.round(ms)} ms after the approval)`);
    assert.equal(
      await containersLeft(sessionId),
      0,
      'the container, and the command in it, are gone',
    );
    assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
  });

  it('cancel in the middle of a command: cancelled at once, the command killed with its container', async () => {
    const world = worlds.track(await startFaultWorld(slowProject(120)));
    const client = await world.start();
    new Approver(client);
    const sessionId = await world.startFix(client);
    await firstCommand(client);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = performance.now();
    const result = await client.request<{ cancelled: boolean }>('tandem/session/cancel', {
      sessionId,
    });
    assert.equal(result.cancelled, true);
    const done = await sessionWhere(client, sessionId, isFinished, 30_000);
    assert.equal(done.status, 'cancelled');
    // The sandbox goes as the flow unwinds from the aborted command.
    const left = await containersLeft(sessionId);
    const ms = performance.now() - before;
    assert.equal(left, 0, 'the container, and the command in it, are gone');
    console.log(`      cancelled and cleaned up in ${Math.round(ms)} ms`);
    assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
  });
});
