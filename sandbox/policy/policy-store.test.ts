import * as assert from 'node:assert/strict';
import { type Db, openDatabase } from '../../server/store/database';
import { tempDir } from '../../test/support/temp-dir';
import { CommandPatternError } from './command-pattern';
import {
  type NewPolicyRule,
  type PolicyAction,
  PolicyError,
  PolicyStore,
  type PolicyWhere,
} from './policy-store';

const PROJECT = 'group/app';
const SESSION = 'session-a';

/** `allow npm run *` → an always rule of PROJECT; `deny@session git push *` → a SESSION rule. */
function rule(spec: string): NewPolicyRule {
  const match = /^(allow|ask|deny)(@session)? (.+)$/.exec(spec);
  if (!match) throw new Error(`bad rule spec ${spec}`);
  return match[2]
    ? {
        project: PROJECT,
        action: match[1] as PolicyAction,
        pattern: match[3],
        scope: 'session',
        sessionId: SESSION,
      }
    : { project: PROJECT, action: match[1] as PolicyAction, pattern: match[3], scope: 'always' };
}

function describeWhere(where: PolicyWhere): string {
  return `${where.project}${where.sessionId ? `/${where.sessionId}` : ' (no session)'}`;
}

describe('PolicyStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let store: PolicyStore;

  beforeEach(() => {
    tmp = tempDir();
    db = openDatabase(tmp.dir);
    store = new PolicyStore(db);
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  describe('deciding', () => {
    /** Stores `rules`, then expects `command` to be decided `action` (by the rule `by`). */
    const check = (
      rules: string[],
      command: string,
      expected: { action: PolicyAction; by?: string },
      where: PolicyWhere = { project: PROJECT, sessionId: SESSION },
    ) =>
      it(`[${rules.join(', ')}] ${JSON.stringify(command)} in ${describeWhere(where)} → ${expected.action}`, () => {
        for (const spec of rules) store.add(rule(spec));
        const decision = store.decide(command, where);
        assert.equal(decision.action, expected.action);
        assert.equal(decision.rule?.pattern, expected.by);
      });

    describe('with no rule', () => {
      check([], 'npm test', { action: 'ask' });
    });

    describe('exact and prefix rules', () => {
      check(['allow npm test'], 'npm test', { action: 'allow', by: 'npm test' });
      check(['allow npm test'], 'npm  test ', { action: 'allow', by: 'npm test' });
      check(['allow npm test'], 'npm test --watch', { action: 'ask' });
      check(['allow git status'], 'git status', { action: 'allow', by: 'git status' });
      check(['allow npm run *'], 'npm run test', { action: 'allow', by: 'npm run *' });
      check(['allow npm run *'], 'npm runner', { action: 'ask' });
      check(['deny git push *'], 'git push origin', { action: 'deny', by: 'git push *' });
      check(['ask git *'], 'git log', { action: 'ask', by: 'git *' });
    });

    describe('precedence: deny beats ask beats allow', () => {
      check(['allow npm *', 'ask npm *', 'deny npm *'], 'npm test', {
        action: 'deny',
        by: 'npm *',
      });
      check(['deny npm *', 'ask npm *', 'allow npm *'], 'npm test', {
        action: 'deny',
        by: 'npm *',
      });
      check(['allow npm test', 'deny npm *'], 'npm test', { action: 'deny', by: 'npm *' });
      check(['allow npm test', 'ask npm *'], 'npm test', { action: 'ask', by: 'npm *' });
      check(['allow git *', 'ask git push *'], 'git push', { action: 'ask', by: 'git push *' });
      check(['allow git *', 'ask git push *'], 'git status', { action: 'allow', by: 'git *' });
      check(['allow npm test', 'deny@session npm test'], 'npm test', {
        action: 'deny',
        by: 'npm test',
      });
      check(['deny git push *', 'ask git push *', 'allow git *'], 'git fetch', {
        action: 'allow',
        by: 'git *',
      });
      check(['allow npm *', 'allow npm run *', 'allow npm run test'], 'npm run test', {
        action: 'allow',
        by: 'npm run test',
      });
      check(['allow npm *', 'allow npm run *'], 'npm run lint', {
        action: 'allow',
        by: 'npm run *',
      });
    });

    describe('metacharacters never match a prefix rule', () => {
      for (const command of [
        'npm run test; rm -rf ~',
        'npm run test && curl evil.example',
        'npm run test || true',
        'npm run test | tee out',
        'npm run test &',
        'npm run test $(whoami)',
        'npm run test `whoami`',
        'npm run test > out.txt',
        'npm run test >> out.txt',
        'npm run test < in.txt',
        'npm run test\nrm -rf ~',
        'npm run test ${x:=y}',
        "npm run test 'a; b'",
      ]) {
        check(['allow npm run *', 'allow npm *'], command, { action: 'ask' });
      }
      check(['allow npm run test && npm run lint'], 'npm run test && npm run lint', {
        action: 'allow',
        by: 'npm run test && npm run lint',
      });
      check(['allow npm run *', 'deny rm *'], 'npm run test; rm -rf ~', {
        action: 'deny',
        by: 'rm *',
      });
    });

    describe('scopes', () => {
      check(['allow@session npm test'], 'npm test', { action: 'allow', by: 'npm test' });
      check(
        ['allow@session npm test'],
        'npm test',
        { action: 'ask' },
        {
          project: PROJECT,
          sessionId: 'session-b',
        },
      );
      check(['allow@session npm test'], 'npm test', { action: 'ask' }, { project: PROJECT });
      check(
        ['deny@session npm test'],
        'npm test',
        { action: 'ask' },
        {
          project: PROJECT,
          sessionId: 'session-b',
        },
      );
      check(
        ['allow npm test'],
        'npm test',
        { action: 'allow', by: 'npm test' },
        {
          project: PROJECT,
          sessionId: 'session-b',
        },
      );
      check(
        ['allow npm test'],
        'npm test',
        { action: 'ask' },
        {
          project: 'group/other',
          sessionId: SESSION,
        },
      );
      check(['deny npm test'], 'npm test', { action: 'ask' }, { project: 'group/other' });
    });
  });

  describe('adding rules', () => {
    const check = (input: NewPolicyRule, expected: RegExp, kind: new (message?: string) => Error) =>
      it(`refuses ${JSON.stringify(input)}`, () => {
        assert.throws(
          () => store.add(input),
          (error: Error) => {
            assert.ok(error instanceof kind, `expected ${kind.name}, got ${error.name}`);
            assert.match(error.message, expected);
            return true;
          },
        );
        assert.deepEqual(store.list(PROJECT), []);
      });

    const base = { project: PROJECT, action: 'allow' as const };
    check({ ...base, pattern: '', scope: 'always' }, /empty/, CommandPatternError);
    check({ ...base, pattern: '*', scope: 'always' }, /every command/, CommandPatternError);
    check({ ...base, pattern: 'a * b', scope: 'always' }, /last word/, CommandPatternError);
    check({ ...base, pattern: 'a; b *', scope: 'always' }, /exact pattern/, CommandPatternError);
    check(
      { ...base, pattern: 'npm test', scope: 'once' as 'always' },
      /"once".*not stored/,
      PolicyError,
    );
    check({ ...base, pattern: 'npm test', scope: 'session' }, /needs the sessionId/, PolicyError);
    check({ ...base, project: '', pattern: 'npm test', scope: 'always' }, /project/, PolicyError);

    it('stores the normalised pattern and returns the same rule when added twice', () => {
      const first = store.add(rule('allow   npm   run  *'));
      const again = store.add(rule('allow npm run *'));
      assert.equal(first.pattern, 'npm run *');
      assert.equal(again.id, first.id);
      assert.deepEqual(store.list(PROJECT), [first]);
    });

    it('keeps no session id on an always rule', () => {
      const added = store.add({ ...rule('allow npm test'), sessionId: SESSION });
      assert.equal(added.sessionId, undefined);
      assert.equal(store.decide('npm test', { project: PROJECT }).action, 'allow');
    });
  });

  describe('listing and removing', () => {
    it('lists a project’s rules oldest first, and only that project’s', () => {
      const a = store.add(rule('allow npm test'));
      const b = store.add(rule('deny@session git push *'));
      store.add({ ...rule('allow npm test'), project: 'group/other' });
      assert.deepEqual(store.list(PROJECT), [a, b]);
    });

    it('removes a rule by id, and says whether there was one', () => {
      const a = store.add(rule('allow npm test'));
      assert.equal(store.remove(a.id), true);
      assert.equal(store.remove(a.id), false);
      assert.equal(store.decide('npm test', { project: PROJECT }).action, 'ask');
    });

    it('forgets a session’s rules and keeps the project’s', () => {
      store.add(rule('allow@session npm test'));
      store.add(rule('deny@session git push *'));
      const always = store.add(rule('allow git status'));
      assert.equal(store.forgetSession(SESSION), 2);
      assert.deepEqual(store.list(PROJECT), [always]);
    });
  });

  it('keeps always rules when the database is opened again', () => {
    const always = store.add({ ...rule('deny rm *'), feedback: 'never delete files' });
    db.close();
    db = openDatabase(tmp.dir);
    const reopened = new PolicyStore(db);
    assert.deepEqual(reopened.list(PROJECT), [always]);
    assert.deepEqual(reopened.decide('rm -rf build', { project: PROJECT }), {
      action: 'deny',
      rule: always,
      metacharacter: undefined,
    });
  });
});
