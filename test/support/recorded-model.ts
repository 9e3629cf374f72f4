import type { ScriptedModel, ScriptedRequest, Reply } from './scripted-model';
import { lineOf } from './review-world';
import type { Files } from './gitlab-stand-in-model';

/**
 * The recorded model: fixed answers for the chat and the reviewer, chosen by what each request
 * asks, so concurrent flows and chats all get the right reply. Used by the protocol tests, the
 * demo and the benchmark.
 */
export interface RecordedAnswers {
  /** What the assistant says after the person approved and the flow started. */
  confirmation: string;
  /** What the assistant says after a denial. */
  afterDenial: string;
  /** The answer to any other question. */
  answer(question: string): string;
}

export const DEFAULT_ANSWERS: RecordedAnswers = {
  confirmation: 'Done: the Code Review flow is running. Its widget above shows the progress.',
  afterDenial:
    'No problem, I will not run it. I can walk you through the diff here instead: start with ' +
    '`searchUsers`, which builds SQL from user input.',
  answer: (question) => `You asked: "${question}". Here is a short answer from the recorded model.`,
};

function lastMessage(request: ScriptedRequest): { role: string; content?: unknown } {
  return request.body.messages.at(-1) as { role: string; content?: unknown };
}

function text(content: unknown): string {
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/**
 * Answers chat requests: recommends Code Review for "review <ref>" and Fix Pipeline for "fix the
 * <job> job", then confirms or adapts.
 */
export function chatResponder(answers: RecordedAnswers = DEFAULT_ANSWERS) {
  return (request: ScriptedRequest): Reply | undefined => {
    if (request.forcedTool) return undefined;
    const last = lastMessage(request);
    const content = text(last.content);
    const update = last.role === 'user' && content.startsWith('[tandem update');
    if (last.role === 'tool' || last.role === 'system' || update) {
      const started = /The ([^.]+?) flow started on/.exec(content);
      if (started && started[1] !== 'Code Review') {
        return {
          text: `Done: the ${started[1]} flow is running. Its widget above shows the progress.`,
          usage: usage(),
        };
      }
      if (/approved/i.test(content)) return { text: answers.confirmation, usage: usage() };
      if (/denied/i.test(content)) return { text: answers.afterDenial, usage: usage() };
      if (/^Error/i.test(content))
        return { text: `I could not do that: ${content}`, usage: usage() };
      return { text: `Noted: ${content.slice(0, 200)}`, usage: usage() };
    }
    const review = /review\s+(https?:\/\/\S+|\S*[!#]\d+)/i.exec(request.lastUserText);
    if (review) {
      return {
        text: 'That merge request can be reviewed by the Code Review flow.',
        toolCalls: [
          {
            name: 'recommend_flow',
            arguments: {
              flow: 'code_review',
              reference: review[1],
              reason: 'You asked for a review of this merge request.',
            },
          },
        ],
        usage: usage(),
      };
    }
    const fix = /fix the (\S+) job/i.exec(request.lastUserText);
    if (fix) {
      return {
        text: `The Fix Pipeline flow can reproduce the ${fix[1]} job in a sandbox and fix it.`,
        toolCalls: [
          {
            name: 'recommend_flow',
            arguments: {
              flow: 'fix_pipeline',
              reference: fix[1],
              reason: `You asked to fix the failing ${fix[1]} job.`,
            },
          },
        ],
        usage: usage(),
      };
    }
    return { text: answers.answer(request.lastUserText), usage: usage() };
  };
}

export interface RecordedFinding {
  path: string;
  line: number;
  side: 'new' | 'old';
  severity: 'critical' | 'major' | 'minor' | 'suggestion';
  body: string;
}

/** The findings the recorded reviewer reports on the example merge request. */
export function exampleFindings(base: Files, head: Files): RecordedFinding[] {
  const users = head['src/users.ts'];
  return [
    {
      path: 'src/users.ts',
      line: lineOf(users, "LIKE '%${term}%'"),
      side: 'new',
      severity: 'critical',
      body: 'SQL injection: `term` is interpolated into the query. Pass it as a parameter: `WHERE name LIKE $1` with `[`%${term}%`]`.',
    },
    {
      path: 'src/users.ts',
      line: lineOf(users, "db.query('DELETE"),
      side: 'new',
      severity: 'major',
      body: 'The delete is not awaited: errors are lost and callers may read the user after "deleting" it. Add `await`.',
    },
    {
      path: 'src/users.ts',
      line: lineOf(base['src/users.ts'], 'const MAX_PAGE = 100;'),
      side: 'old',
      severity: 'major',
      body: 'Removing the page cap lets `listUsers(1e9)` read the whole table. Keep a maximum page size.',
    },
    {
      path: 'src/users.ts',
      line: lineOf(users, 'export async function listUsers'),
      side: 'new',
      severity: 'suggestion',
      body: 'Document that `limit` is no longer capped, or cap it here.',
    },
    {
      path: 'src/db.ts',
      line: lineOf(head['src/db.ts'], 'new Pool'),
      side: 'new',
      severity: 'minor',
      body: 'The pool has no error handler; an idle client error will crash the process.',
    },
  ];
}

/** Answers forced `submit_review` calls with the given findings. */
export function reviewerResponder(findings: RecordedFinding[], summary = DEFAULT_SUMMARY) {
  return (request: ScriptedRequest): Reply | undefined => {
    if (request.forcedTool !== 'submit_review') return undefined;
    return {
      toolCalls: [{ name: 'submit_review', arguments: { summary, findings } }],
      usage: usage(1800, 350),
    };
  };
}

export const DEFAULT_SUMMARY =
  'The new search is open to SQL injection and the delete is fire-and-forget; both need fixing ' +
  'before merge. Dropping the page cap is a regression.';

/** Installs the chat and reviewer answers on a scripted model. */
export function playRecordedModel(model: ScriptedModel, base: Files, head: Files): void {
  model.respond(reviewerResponder(exampleFindings(base, head)));
  model.respond(chatResponder());
}

function usage(promptTokens = 420, completionTokens = 40) {
  return { promptTokens, completionTokens };
}
