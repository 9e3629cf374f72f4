import { randomUUID } from 'node:crypto';
import type { Db } from '../../server/store/database';
import { nowIso } from '../../server/store/database';
import {
  type CommandPattern,
  findShellMetacharacter,
  parseCommandPattern,
  permits,
  restricts,
} from './command-pattern';

export type PolicyAction = 'allow' | 'ask' | 'deny';

/**
 * How long a rule lives: `session` for one session, `always` for the project across restarts.
 * An answer for `once` is never stored; it decides that one command only.
 */
export type PolicyScope = 'session' | 'always';

export interface PolicyRule {
  id: string;
  /** The key the caller uses for a project (e.g. its GitLab path); rules never cross projects. */
  project: string;
  /** Normalised pattern text: `npm test` (exact) or `npm run *` (prefix). */
  pattern: string;
  action: PolicyAction;
  scope: PolicyScope;
  /** Set exactly when `scope` is `session`. */
  sessionId?: string;
  /** What the person said when they denied; handed to the model each time the rule refuses. */
  feedback?: string;
  createdAt: string;
}

export type NewPolicyRule = Omit<PolicyRule, 'id' | 'createdAt'>;

export interface PolicyDecision {
  action: PolicyAction;
  /** The rule that decided; absent when no rule matched (the default is to ask). */
  rule?: PolicyRule;
  /** Why a command was asked regardless of allow rules: the metacharacter it contains. */
  metacharacter?: string;
}

export interface PolicyWhere {
  project: string;
  sessionId?: string;
}

/** A rule that cannot be stored as given; the message says what to change. */
export class PolicyError extends Error {}

interface PolicyRuleRow {
  id: string;
  project: string;
  pattern: string;
  action: string;
  scope: string;
  session_id: string | null;
  feedback: string | null;
  created_at: string;
}

const PRECEDENCE: readonly PolicyAction[] = ['deny', 'ask', 'allow'];

/**
 * Allow / ask / deny rules for the commands the agent runs, persisted in SQLite. Deny beats ask
 * beats allow whatever the order the rules were written in; a command no rule allows is asked.
 */
export class PolicyStore {
  constructor(private readonly db: Db) {}

  /** Stores a rule, or returns the identical one already stored; throws PolicyError if invalid. */
  add(input: NewPolicyRule): PolicyRule {
    const pattern = parseCommandPattern(input.pattern).text;
    checkScope(input);
    const sessionId = input.scope === 'session' ? input.sessionId : undefined;
    return this.db.transaction(() => {
      const existing = this.db
        .prepare(
          `SELECT * FROM policy_rules WHERE project = ? AND pattern = ? AND action = ?
             AND scope = ? AND session_id IS ?`,
        )
        .get(input.project, pattern, input.action, input.scope, sessionId ?? null) as
        PolicyRuleRow | undefined;
      if (existing) return toRule(existing);
      const rule: PolicyRule = {
        id: randomUUID(),
        project: input.project,
        pattern,
        action: input.action,
        scope: input.scope,
        sessionId,
        feedback: input.feedback || undefined,
        createdAt: nowIso(),
      };
      this.db
        .prepare(
          `INSERT INTO policy_rules
             (id, project, pattern, action, scope, session_id, feedback, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          rule.id,
          rule.project,
          rule.pattern,
          rule.action,
          rule.scope,
          rule.sessionId ?? null,
          rule.feedback ?? null,
          rule.createdAt,
        );
      return rule;
    })();
  }

  /** Removes a rule; false when there was no rule with that id. */
  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM policy_rules WHERE id = ?').run(id).changes === 1;
  }

  /** Drops the rules of a session that has ended; answers how many went. */
  forgetSession(sessionId: string): number {
    return this.db
      .prepare(`DELETE FROM policy_rules WHERE scope = 'session' AND session_id = ?`)
      .run(sessionId).changes;
  }

  /** Every rule of a project, both scopes, oldest first. */
  list(project: string): PolicyRule[] {
    const rows = this.db
      .prepare('SELECT * FROM policy_rules WHERE project = ? ORDER BY created_at, rowid')
      .all(project) as PolicyRuleRow[];
    return rows.map(toRule);
  }

  /** What the rules say about `command` in this project and session. */
  decide(command: string, where: PolicyWhere): PolicyDecision {
    const metacharacter = findShellMetacharacter(command);
    const matching = this.applicable(where)
      .map((rule) => ({ rule, pattern: parseCommandPattern(rule.pattern) }))
      .filter(({ rule, pattern }) =>
        rule.action === 'allow' ? permits(pattern, command) : restricts(pattern, command),
      );
    for (const action of PRECEDENCE) {
      const candidates = matching.filter((m) => m.rule.action === action);
      if (candidates.length > 0) {
        return { action, rule: mostSpecific(candidates), metacharacter };
      }
    }
    return { action: 'ask', metacharacter };
  }

  private applicable(where: PolicyWhere): PolicyRule[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM policy_rules WHERE project = ?
           AND (scope = 'always' OR (scope = 'session' AND session_id = ?))`,
      )
      .all(where.project, where.sessionId ?? null) as PolicyRuleRow[];
    return rows.map(toRule);
  }
}

/** Exact before prefix, longer prefix first, a session's own rule before a project-wide one. */
function mostSpecific(candidates: { rule: PolicyRule; pattern: CommandPattern }[]): PolicyRule {
  const rank = ({ rule, pattern }: { rule: PolicyRule; pattern: CommandPattern }) =>
    (pattern.kind === 'exact' ? 10_000 : 0) +
    pattern.words.length * 2 +
    (rule.scope === 'session' ? 1 : 0);
  return candidates.reduce((best, next) => (rank(next) > rank(best) ? next : best)).rule;
}

function checkScope(input: NewPolicyRule): void {
  const scope: string = input.scope;
  if (scope !== 'session' && scope !== 'always') {
    throw new PolicyError(
      `A rule's scope is "session" or "always", not "${scope}": an answer for "once" ` +
        'decides one command and is not stored.',
    );
  }
  if (scope === 'session' && !input.sessionId) {
    throw new PolicyError('A session rule needs the sessionId it applies to.');
  }
  if (!input.project) {
    throw new PolicyError('A rule needs the project it applies to.');
  }
}

function toRule(row: PolicyRuleRow): PolicyRule {
  return {
    id: row.id,
    project: row.project,
    pattern: row.pattern,
    action: row.action as PolicyAction,
    scope: row.scope as PolicyScope,
    sessionId: row.session_id ?? undefined,
    feedback: row.feedback ?? undefined,
    createdAt: row.created_at,
  };
}
