import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitLabStandIn, type SeededMergeRequest } from './gitlab-stand-in';
import type { Files } from './gitlab-stand-in-model';
import { ScriptedModel } from './scripted-model';

export const DEMO_DIR = path.resolve(__dirname, '..', '..', 'examples', 'code-review-demo');

/** Project access levels used by the world. */
export const USERS = {
  /** Developer on group/app: may run every flow. */
  dev: { username: 'dev', token: 'glpat-dev-0123456789abcdef', level: 30 },
  /** Guest on group/app: may not run Code Review (needs Reporter). */
  guest: { username: 'guest', token: 'glpat-guest-0123456789abcdef', level: 10 },
} as const;

export const MODEL_KEY = 'sk-test-0123456789abcdefghij';

/** Reads a directory into path → content, paths relative to it with `/` separators. */
export function readTree(root: string): Files {
  const files: Files = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        files[path.relative(root, full).split(path.sep).join('/')] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return files;
}

export interface ReviewWorld {
  gitlab: GitLabStandIn;
  model: ScriptedModel;
  mr: SeededMergeRequest;
  base: Files;
  head: Files;
  project: string;
  /** Environment for the server process: model, GitLab and state directory. */
  env(stateDir: string, user?: keyof typeof USERS): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * GitLab stand-in seeded with the example project and its merge request !7, plus a scripted
 * model; both on 127.0.0.1.
 */
export async function startReviewWorld(): Promise<ReviewWorld> {
  const gitlab = await GitLabStandIn.start();
  const model = await ScriptedModel.start({ apiKey: MODEL_KEY });
  const meta = JSON.parse(fs.readFileSync(path.join(DEMO_DIR, 'review.json'), 'utf8')) as {
    project: string;
    iid: number;
    title: string;
    description: string;
    author: string;
    sourceBranch: string;
    targetBranch: string;
  };
  const base = readTree(path.join(DEMO_DIR, 'base'));
  const head = readTree(path.join(DEMO_DIR, 'head'));
  gitlab.addUser({ username: meta.author });
  for (const user of Object.values(USERS)) {
    gitlab.addUser({ username: user.username, token: user.token });
  }
  gitlab.addProject({ path: meta.project, files: base, defaultBranch: meta.targetBranch });
  gitlab.addMember({ path: 'group', username: USERS.dev.username, level: USERS.dev.level });
  gitlab.addMember({
    path: meta.project,
    username: USERS.guest.username,
    level: USERS.guest.level,
  });
  gitlab.addMember({ path: meta.project, username: meta.author, level: 30 });
  const mr = gitlab.addMergeRequest({ ...meta, base, head });
  return {
    gitlab,
    model,
    mr,
    base,
    head,
    project: meta.project,
    env: (stateDir, user = 'dev') => ({
      TANDEM_STATE_DIR: stateDir,
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_API_KEY: MODEL_KEY,
      TANDEM_MODEL: 'scripted',
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: USERS[user].token,
    }),
    stop: async () => {
      await Promise.all([gitlab.stop(), model.stop()]);
    },
  };
}

/** Settings that keep retries fast in tests (sent through `workspace/configuration`). */
export const FAST_SETTINGS = { model: { retryBaseMs: 10, timeoutMs: 5000, maxRetries: 3 } };

/** 1-based number of the first line of `content` that contains `text`. */
export function lineOf(content: string, text: string): number {
  const index = content.split('\n').findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`No line contains ${JSON.stringify(text)}`);
  return index + 1;
}
