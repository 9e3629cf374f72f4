import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { SessionGetResult, SessionSnapshot } from '../../server/protocol';
import { ProtocolClient } from '../support/protocol-client';
import { exampleFindings, playRecordedModel, reviewerResponder } from '../support/recorded-model';
import { FAST_SETTINGS, lineOf, type ReviewWorld, startReviewWorld } from '../support/review-world';
import { isFinished, sessionWhere, startReview, startStuckReview } from '../support/sessions';
import { tempDir } from '../support/temp-dir';

describe('Code Review flow end to end (GitLab stand-in, real server)', function () {
  this.timeout(60_000);
  let world: ReviewWorld;
  let tmp: ReturnType<typeof tempDir>;
  let client: ProtocolClient;

  beforeEach(async () => {
    world = await startReviewWorld();
    tmp = tempDir();
    client = await ProtocolClient.start({ env: world.env(tmp.dir), settings: FAST_SETTINGS });
  });
  afterEach(async () => {
    await client.stop();
    await world.stop();
    tmp.cleanup();
  });

  async function review(reference: string): Promise<SessionSnapshot> {
    return sessionWhere(client, await startReview(client, reference, 'cli'), isFinished);
  }

  it('posts inline discussions at exact diff positions and one summary note', async () => {
    playRecordedModel(world.model, world.base, world.head);
    const done = await review('group/app!7');
    assert.equal(done.status, 'completed', done.error);
    assert.equal(done.trigger, 'cli');

    const head = world.head['src/users.ts'];
    const base = world.base['src/users.ts'];
    const refs = {
      baseSha: world.mr.baseSha,
      startSha: world.mr.startSha,
      headSha: world.mr.headSha,
    };
    const posted = world.gitlab.discussions({ project: 'group/app', iid: 7 });
    const check = (
      bodyPart: RegExp,
      expected: { oldLine?: number; newLine?: number; type: 'added' | 'removed' | 'context' },
    ) => {
      const d = posted.find((p) => bodyPart.test(p.body));
      assert.ok(d, `a discussion matching ${bodyPart}`);
      assert.equal(d.author, 'dev');
      assert.ok(d.position, 'posted with a position');
      assert.deepEqual(
        {
          baseSha: d.position.baseSha,
          startSha: d.position.startSha,
          headSha: d.position.headSha,
        },
        refs,
        'positions use the latest version’s diff refs',
      );
      assert.equal(d.position.newPath, 'src/users.ts');
      assert.equal(d.position.oldLine, expected.oldLine);
      assert.equal(d.position.newLine, expected.newLine);
      assert.equal(d.position.line.type, expected.type);
    };
    check(/^\*\*Critical:\*\* SQL injection/, {
      newLine: lineOf(head, "LIKE '%${term}%'"),
      type: 'added',
    });
    check(/^\*\*Major:\*\* The delete is not awaited/, {
      newLine: lineOf(head, "db.query('DELETE"),
      type: 'added',
    });
    check(/^\*\*Major:\*\* Removing the page cap/, {
      oldLine: lineOf(base, 'const MAX_PAGE = 100;'),
      type: 'removed',
    });
    check(/^\*\*Suggestion:\*\* Document that `limit`/, {
      oldLine: lineOf(base, 'export async function listUsers'),
      newLine: lineOf(head, 'export async function listUsers'),
      type: 'context',
    });
    assert.equal(posted.length, 4);

    const [note] = world.gitlab.notes({ project: 'group/app', iid: 7 });
    assert.match(note.body, /^## Code review\n\nThe new search is open to SQL injection/);
    assert.match(
      note.body,
      /5 findings \(1 critical, 2 major, 1 minor, 1 suggestion\); 4 posted as inline comments\./,
    );
    assert.match(
      note.body,
      /### Findings outside the changed lines\n\n- `src\/db\.ts:3` — \*\*Minor:\*\* The pool has no error handler/,
    );

    assert.equal(done.result?.links.length, 2);
    assert.match(done.result!.links[1].url, new RegExp(`${world.mr.webUrl}#note_\\d+`));
    assert.match(
      done.result!.summary,
      /Reviewed 2 files of group\/app!7: 5 findings, 4 posted inline, and a summary note\./,
    );

    // The reviewer saw numbered diffs and the code around them, not secrets.
    const prompt = world.model.requests.find((r) => r.forcedTool === 'submit_review')!.rawBody;
    assert.match(prompt, /### src\/users.ts \(modified\)/);
    assert.match(prompt, /Add user search and deletion/);
  });

  it('resolves a short reference (!7) from the workspace’s git remote', async () => {
    await client.stop();
    const repo = tempDir('tandem-repo-');
    try {
      execFileSync('git', ['init', '-q', repo.dir]);
      execFileSync('git', [
        '-C',
        repo.dir,
        'remote',
        'add',
        'origin',
        `${world.gitlab.url}/group/app.git`,
      ]);
      client = await ProtocolClient.start({
        env: world.env(tmp.dir),
        settings: FAST_SETTINGS,
        workspaceFolder: repo.dir,
      });
      playRecordedModel(world.model, world.base, world.head);
      const done = await review('!7');
      assert.equal(done.status, 'completed', done.error);
      assert.deepEqual(done.reference, {
        kind: 'merge_request',
        url: world.mr.webUrl,
        label: 'group/app!7',
      });
    } finally {
      repo.cleanup();
    }
  });

  it('handles large merge requests deliberately: caps per file and in total, and says what was skipped', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => `export const value${i} = ${i};`).join('\n');
    world.gitlab.addMergeRequest({
      project: 'group/app',
      iid: 8,
      title: 'Big change',
      author: 'alex',
      base: world.base,
      head: { ...world.head, 'src/generated.ts': big, 'data/blob.json': '{}' },
      collapsed: ['data/blob.json'],
    });
    world.model.respond(reviewerResponder([]));
    const done = await review('group/app!8');
    assert.equal(done.status, 'completed', done.error);
    const [note] = world.gitlab.notes({ project: 'group/app', iid: 8 });
    assert.match(note.body, /### Not reviewed/);
    assert.match(
      note.body,
      /`src\/generated\.ts`: its diff has \d+ characters, over the per-file cap of 40000/,
    );
    assert.match(note.body, /`data\/blob\.json`: GitLab did not include its diff/);
    const prompt = world.model.requests.find((r) => r.forcedTool === 'submit_review')!.rawBody;
    assert.ok(!prompt.includes('value2999'), 'the oversized file was not sent to the model');
    assert.match(done.result!.summary, /2 skipped/);
  });

  it('re-asks the model when its structured output is invalid, then posts', async () => {
    let calls = 0;
    world.model.respond((request) => {
      if (request.forcedTool !== 'submit_review') return undefined;
      calls++;
      if (calls === 1)
        return {
          toolCalls: [{ name: 'submit_review', arguments: '{"summary": "x", "findings": [' }],
        };
      if (calls === 2)
        return {
          toolCalls: [
            {
              name: 'submit_review',
              arguments: { summary: 'x', findings: [{ path: 'a', line: -1 }] },
            },
          ],
        };
      return undefined;
    });
    world.model.respond(reviewerResponder(exampleFindings(world.base, world.head)));
    const done = await review(world.mr.webUrl);
    assert.equal(done.status, 'completed', done.error);
    assert.equal(calls, 3);
    const retry = world.model.requests
      .filter((r) => r.forcedTool === 'submit_review')[1]
      .body.messages.at(-1);
    assert.equal(retry?.role, 'tool');
    assert.match(String(retry?.content), /not valid JSON/);
    const details = await client.request<SessionGetResult>('tandem/session/get', {
      sessionId: done.sessionId,
    });
    assert.equal(details.events.filter((e) => e.type === 'model_output_invalid').length, 2);
  });

  it('moves a comment GitLab refuses into the summary and posts the rest', async () => {
    world.gitlab.failNext({ method: 'POST', path: /discussions$/, status: 400, times: 1 });
    playRecordedModel(world.model, world.base, world.head);
    const done = await review('group/app!7');
    assert.equal(done.status, 'completed', done.error);
    assert.equal(world.gitlab.discussions().length, 3);
    const [note] = world.gitlab.notes({ project: 'group/app', iid: 7 });
    assert.match(note.body, /3 posted as inline comments/);
    assert.match(note.body, /`src\/users\.ts:\d+` — \*\*Critical:\*\* SQL injection/);
    const details = await client.request<SessionGetResult>('tandem/session/get', {
      sessionId: done.sessionId,
    });
    assert.equal(details.events.filter((e) => e.type === 'comment_refused').length, 1);
  });

  it('fails with a readable error when GitLab keeps failing, posting nothing', async () => {
    world.gitlab.failNext({ path: /merge_requests\/7\/versions$/, status: 500, times: 100 });
    playRecordedModel(world.model, world.base, world.head);
    const done = await review('group/app!7');
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /GitLab/);
    assert.equal(world.gitlab.discussions().length + world.gitlab.notes().length, 0);
  });

  it('refuses a flow/start without enough access, and one on another host', async () => {
    await assert.rejects(
      client.request('tandem/flow/start', {
        flow: 'code_review',
        reference: 'https://evil.example.com/group/app/-/merge_requests/7',
        trigger: 'ui',
      }),
      /tandem\.gitlab\.url/,
    );
    await assert.rejects(
      client.request('tandem/flow/start', {
        flow: 'implement_issue',
        reference: 'group/app!7',
        trigger: 'ui',
      }),
      /merge request, but .*issue/i,
    );
    await assert.rejects(
      client.request('tandem/flow/start', {
        flow: 'fix_pipeline',
        reference: 'group/app!7',
        trigger: 'ui',
      }),
      /merge request, but .*pipeline/i,
    );
  });

  it('cancels a running session from the sessions page', async () => {
    world.model.respond((r) => (r.forcedTool ? { hang: true } : undefined));
    const sessionId = await startStuckReview(client);
    const result = await client.request('tandem/session/cancel', { sessionId });
    assert.deepEqual(result, { sessionId, cancelled: true, status: 'cancelled' });
    await sessionWhere(client, sessionId, (s) => s.status === 'cancelled');
    assert.deepEqual(await client.request('tandem/session/cancel', { sessionId }), {
      sessionId,
      cancelled: false,
      status: 'cancelled',
    });
    assert.equal(world.gitlab.discussions().length, 0);
  });
});
