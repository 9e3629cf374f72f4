import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type {
  ApprovalRequestedParams,
  SessionGetResult,
  SessionRestoreResult,
  SessionSnapshot,
} from '../../server/protocol';
import { docker } from '../support/docker-world';
import type { ProtocolClient } from '../support/protocol-client';
import { isFinished, sessionWhere } from '../support/sessions';
import {
  Approver,
  checkStore,
  faultWorldHooks,
  type FaultWorld,
  forgeCounts,
  slowProject,
  startFaultWorld,
} from './fault-world';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The session's running container (labelled by the sandbox). */
async function containerOf(sessionId: string) {
  const [info] = await docker.listContainers({
    filters: { label: [`org.tandem.session=${sessionId}`] },
  });
  return info && docker.getContainer(info.Id);
}

/** Waits for the first command approval of the session and lets `during` run right after. */
function onFirstCommand(client: ProtocolClient, during: () => Promise<void>): Promise<void> {
  return client
    .waitFor<ApprovalRequestedParams>(
      'tandem/approval/requested',
      (p) => p.kind === 'command',
      120_000,
    )
    .then(during);
}

/**
 * Puts a failed session back at its last checkpoint and resumes it (the person approves the
 * resume): what someone does once the outage is over. Answers the session's end.
 */
async function restoreLastAndResume(
  client: ProtocolClient,
  sessionId: string,
): Promise<SessionSnapshot> {
  const details = await client.request<SessionGetResult>('tandem/session/get', { sessionId });
  const last = details.checkpoints.at(-1)!;
  const restored = await client.request<SessionRestoreResult>('tandem/session/restore', {
    sessionId,
    checkpointId: last.checkpointId,
  });
  assert.equal(restored.status, 'interrupted');
  const seq = (await client.request<SessionGetResult>('tandem/session/get', { sessionId })).session
    .seq;
  return sessionWhere(client, sessionId, (s) => s.seq > seq && isFinished(s), 240_000);
}

/** What holds after every fault: a clear reason when not completed, nothing twice, a sound store. */
function checkAfter(world: FaultWorld, final: SessionSnapshot): void {
  if (final.status !== 'completed') {
    assert.ok(
      final.error && !/^Unexpected error/.test(final.error),
      `no clear reason: ${final.error}`,
    );
  }
  const forge = forgeCounts(world);
  assert.ok(
    forge.mergeRequests <= 1 && forge.sessionBranches <= 1 && forge.notes <= 1,
    JSON.stringify(forge),
  );
  if (final.status === 'completed') {
    assert.deepEqual([forge.mergeRequests, forge.sessionBranches, forge.notes], [1, 1, 1]);
  }
  assert.deepEqual(checkStore(world.setup.stateDir), { integrity: 'ok', problems: [] });
}

describe('faults around the server: container, Docker, model, SQLite, disk (slow)', function () {
  this.timeout(600_000);
  const worlds = faultWorldHooks();

  it('the container killed mid-command: the session fails saying so; a restore resumes it to completion', async () => {
    const world = worlds.track(await startFaultWorld(slowProject(6)));
    const client = await world.start();
    new Approver(client);
    const sessionId = await world.startFix(client);
    await onFirstCommand(client, async () => {
      await sleep(1500);
      await (await containerOf(sessionId))?.kill();
    });
    const failed = await sessionWhere(client, sessionId, isFinished, 120_000);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /container/i);
    console.log(`      container killed → ${failed.error}`);
    // The container is made again on resume.
    const done = await restoreLastAndResume(client, sessionId);
    assert.equal(done.status, 'completed', done.error);
    checkAfter(world, done);
  });

  it('the Docker daemon going away mid-session: a clear failure, the server keeps serving, a restore resumes', async () => {
    const world = worlds.track(await startFaultWorld(slowProject(6)));
    const proxy = await DockerSocketProxy.start();
    try {
      const client = await world.start({ DOCKER_HOST: `unix://${proxy.socket}` });
      new Approver(client);
      const sessionId = await world.startFix(client);
      await onFirstCommand(client, async () => {
        await sleep(1500);
        await proxy.stop();
      });
      const failed = await sessionWhere(client, sessionId, isFinished, 120_000);
      assert.equal(failed.status, 'failed');
      assert.match(failed.error ?? '', /docker/i);
      console.log(`      Docker gone → ${failed.error}`);
      const list = await client.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {});
      assert.equal(list.sessions[0].sessionId, sessionId, 'the server still answers');

      await proxy.restart();
      const done = await restoreLastAndResume(client, sessionId);
      assert.equal(done.status, 'completed', done.error);
      checkAfter(world, done);
    } finally {
      await proxy.stop();
    }
  });

  it('the model answering 500 for a minute: the session fails saying so; after the minute a restore resumes it', async () => {
    const world = worlds.track(await startFaultWorld());
    const until = Date.now() + 60_000;
    let failures = 0;
    world.beforeModel = () =>
      Date.now() < until
        ? (failures++, { error: { status: 500, body: { error: { message: 'overloaded' } } } })
        : undefined;
    const client = await world.start();
    new Approver(client);
    const sessionId = await world.startFix(client);
    const failed = await sessionWhere(client, sessionId, isFinished, 120_000);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /500/);
    console.log(`      model 500s → ${failed.error}`);
    await sleep(Math.max(0, until - Date.now()));
    const done = await restoreLastAndResume(client, sessionId);
    assert.equal(done.status, 'completed', done.error);
    assert.ok(failures >= 2, 'the model was retried');
    checkAfter(world, done);
  });

  it('the state database locked by another process: writes wait, then fail clearly; the server keeps serving; nothing is half-written', async () => {
    const world = worlds.track(await startFaultWorld());
    const client = await world.start();
    new Approver(client);
    const sessionId = await world.startFix(client);
    const dbFile = path.join(world.setup.stateDir, 'tandem.db');
    let locker: ReturnType<typeof holdLock> | undefined;
    await onFirstCommand(client, async () => {
      locker = holdLock(dbFile, 9_000);
      await locker.locked;
    });
    const listed = await client.request<{ sessions: SessionSnapshot[] }>('tandem/session/list', {});
    assert.equal(listed.sessions[0].sessionId, sessionId, 'reads are answered while it is locked');
    await locker?.done;
    const final = await sessionWhere(client, sessionId, isFinished, 120_000);
    console.log(`      locked database → ${final.status}${final.error ? `: ${final.error}` : ''}`);
    let done = final;
    if (final.status === 'failed') {
      assert.match(final.error ?? '', /state database \(SQLITE_BUSY\)/);
      done = await restoreLastAndResume(client, sessionId);
    }
    assert.equal(done.status, 'completed', done.error);
    checkAfter(world, done);
  });

  it('the state directory’s disk full (a small tmpfs): nothing is lost; the session carries on or fails saying so once there is room', async function () {
    const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount], { stdio: 'pipe' });
    } catch (error) {
      fs.rmdirSync(mount);
      throw new Error(
        `This test mounts a small tmpfs and needs root (CAP_SYS_ADMIN): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const filler = path.join(mount, 'filler');
    let world: FaultWorld | undefined;
    try {
      world = await startFaultWorld();
      const client = await world.start({ TANDEM_STATE_DIR: mount });
      new Approver(client);
      const sessionId = await world.startFix(client);
      await onFirstCommand(client, async () => fillDisk(filler));
      // The session cannot record anything while the disk is full; give it room after a while.
      await sleep(4000);
      fs.rmSync(filler, { force: true });
      const final = await sessionWhere(client, sessionId, isFinished, 120_000).catch(
        async (error: Error) => {
          const details = await client.request<SessionGetResult>('tandem/session/get', {
            sessionId,
          });
          throw new Error(
            `${error.message}\n${details.events.map((e) => `${e.type}: ${e.message}`).join('\n')}`,
          );
        },
      );
      console.log(`      disk full → ${final.status}${final.error ? `: ${final.error}` : ''}`);
      let done = final;
      if (final.status === 'failed') {
        assert.match(final.error ?? '', /SQLITE_FULL|no space left|full/i);
        done = await restoreLastAndResume(client, sessionId);
      }
      assert.equal(done.status, 'completed', done.error);
      await client.stop();
      const forge = forgeCounts(world);
      assert.deepEqual([forge.mergeRequests, forge.sessionBranches, forge.notes], [1, 1, 1]);
      assert.deepEqual(checkStore(mount), { integrity: 'ok', problems: [] });
    } finally {
      await world?.stop();
      execFileSync('umount', ['-l', mount]);
      fs.rmdirSync(mount);
    }
  });
});

/** Fills the file system of `file` until it refuses more. */
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    // Then the last few bytes, so nothing at all is left.
    try {
      for (;;) fs.writeSync(fd, chunk, 0, 512);
    } catch {
      // Full.
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Another process holding an exclusive lock on the database for `ms`. */
function holdLock(file: string, ms: number): { locked: Promise<void>; done: Promise<void> } {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(file)});
    db.pragma('busy_timeout = 20000');
    db.exec('BEGIN EXCLUSIVE');
    db.prepare("INSERT INTO telemetry (at, type) VALUES ('held', 'lock_test')").run();
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, ${ms});
  `;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: path.resolve(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`the locking process exited (${code})`)));
  });
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { locked, done };
}

/**
 * Docker's API socket as the server sees it, through a proxy on a socket of its own: stopping
 * the proxy is, for the server, the daemon going away (connections cut, new ones refused).
 */
class DockerSocketProxy {
  private server?: net.Server;
  private readonly open = new Set<net.Socket>();

  private constructor(readonly socket: string) {}

  static async start(): Promise<DockerSocketProxy> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-docker-proxy-'));
    const proxy = new DockerSocketProxy(path.join(dir, 'docker.sock'));
    await proxy.restart();
    return proxy;
  }

  async restart(): Promise<void> {
    const upstream = process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/var/run/docker.sock';
    this.server = net.createServer((client) => {
      const daemon = net.connect(upstream);
      for (const s of [client, daemon]) {
        this.open.add(s);
        s.once('close', () => this.open.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(daemon).pipe(client);
    });
    fs.rmSync(this.socket, { force: true });
    await new Promise<void>((resolve) => this.server!.listen(this.socket, resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socket, { force: true });
  }
}
