import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What a git command printed, and how it ended. */
export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A git client for tests, isolated from the machine's git configuration, with a fixed identity
 * and no prompts. Asynchronous on purpose: a synchronous git call against a stand-in in the same
 * process would wait forever on an event loop it blocks.
 */
export class GitClient {
  readonly env: NodeJS.ProcessEnv;

  constructor(home: string) {
    fs.mkdirSync(home, { recursive: true });
    this.env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Test Person',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test Person',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    };
  }

  /** Runs git; never rejects, so tests can assert on failures. */
  run(cwd: string, args: string[]): Promise<GitRun> {
    return new Promise((resolve) => {
      execFile('git', args, { cwd, env: this.env }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Runs git and returns its trimmed output; throws with git's stderr when it fails. */
  async ok(cwd: string, args: string[]): Promise<string> {
    const result = await this.run(cwd, args);
    if (result.code !== 0) {
      throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    }
    return result.stdout.trim();
  }

  /** Writes files (path → content) under `dir`, creating folders. */
  static writeFiles(dir: string, files: Record<string, string>): void {
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(dir, file);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
    }
  }
}

/** `http://user:token@host/…`: HTTP Basic credentials in a clone URL, as GitLab documents. */
export function withCredentials(url: string, token: string, username = 'oauth2'): string {
  const parsed = new URL(url);
  parsed.username = username;
  parsed.password = token;
  return parsed.toString();
}
