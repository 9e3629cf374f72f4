import { execFileSync } from 'node:child_process';
import type { CommitRecord, Files } from './gitlab-stand-in-model';

/** Who the stand-in's own commits are by: fixed, so seeded shas are the same on every run. */
const SEED_IDENTITY = 'GitLab Stand-in <stand-in@gitlab.example>';

/** One commit for `BareRepository.write`: a whole tree, not a change on top of the parent. */
export interface NewCommit {
  /** The ref the commit lands on (`refs/heads/main`). */
  ref: string;
  files: Files;
  message: string;
  /** Parent shas, or indexes of earlier commits in the same `write`. None: a root commit. */
  parents: (string | number)[];
  /** Author and committer time, in seconds since the epoch. */
  time: number;
}

/** Old and new value of one ref; `null` when it did not exist, or no longer does. */
export interface RefUpdate {
  ref: string;
  before: string | null;
  after: string | null;
}

/**
 * A bare git repository on disk, read and written with git itself. Calls are synchronous
 * because seeding is; never use them while a git client of this process waits on the
 * stand-in. Commits are immutable, so what is read about them is cached.
 */
export class BareRepository {
  private readonly commits = new Map<string, CommitRecord>();
  private readonly trees = new Map<string, Map<string, string>>();

  private constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static create(dir: string, defaultBranch: string, env: NodeJS.ProcessEnv): BareRepository {
    execFileSync('git', ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, dir], {
      env,
      stdio: 'pipe',
    });
    const repository = new BareRepository(dir, env);
    // No background gc pruning seeded commits that only a merge request version still names.
    repository.git(['config', 'gc.auto', '0']);
    // GitLab lets clients fetch any commit they can reach, e.g. a pipeline's sha.
    repository.git(['config', 'uploadpack.allowReachableSHA1InWant', 'true']);
    return repository;
  }

  /** Writes the commits with fast-import, in one process, and returns their shas in order. */
  write(commits: NewCommit[]): string[] {
    const chunks: Buffer[] = [];
    const line = (text: string) => chunks.push(Buffer.from(`${text}\n`));
    const data = (content: string) => {
      const bytes = Buffer.from(content);
      line(`data ${bytes.length}`);
      chunks.push(bytes, Buffer.from('\n'));
    };
    commits.forEach((commit, i) => {
      // `reset` first: without it a commit with no parents would continue the ref's history.
      line(`reset ${commit.ref}`);
      line(`commit ${commit.ref}`);
      line(`mark :${i + 1}`);
      line(`author ${SEED_IDENTITY} ${commit.time} +0000`);
      line(`committer ${SEED_IDENTITY} ${commit.time} +0000`);
      data(commit.message.endsWith('\n') ? commit.message : `${commit.message}\n`);
      commit.parents.forEach((parent, p) => {
        const ref = typeof parent === 'number' ? `:${parent + 1}` : parent;
        line(`${p === 0 ? 'from' : 'merge'} ${ref}`);
      });
      line('deleteall');
      for (const [path, content] of Object.entries(commit.files)) {
        line(`M 100644 inline ${quotePath(path)}`);
        data(content);
      }
      line('');
    });
    commits.forEach((_, i) => line(`get-mark :${i + 1}`));
    const out = this.git(['fast-import', '--quiet', '--force'], Buffer.concat(chunks));
    return out.toString('utf8').trim().split('\n');
  }

  /** The commit a revision names (branch, tag, sha, `main~1`), or undefined. */
  resolve(revision: string): string | undefined {
    if (!revision || revision.startsWith('-')) return undefined;
    return this.tryText(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]);
  }

  branchHead(branch: string): string | undefined {
    return this.resolve(`refs/heads/${branch}`);
  }

  /** Branch name → head sha. */
  branches(): Map<string, string> {
    const refs = this.refs('refs/heads/');
    return new Map([...refs].map(([ref, sha]) => [ref.slice('refs/heads/'.length), sha]));
  }

  /** Every ref (or those under `prefix`) → the object it points at. */
  refs(prefix?: string): Map<string, string> {
    const args = ['for-each-ref', '--format=%(refname)%00%(objectname)'];
    const out = this.text(prefix ? [...args, prefix] : args);
    return new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\0') as [string, string]),
    );
  }

  /** Sets (sha) or deletes (null) refs, all at once. */
  updateRefs(updates: Record<string, string | null>): void {
    const commands = Object.entries(updates).map(([ref, sha]) =>
      sha === null ? `delete ${ref}\n` : `update ${ref} ${sha}\n`,
    );
    if (commands.length > 0) this.git(['update-ref', '--stdin'], commands.join(''));
  }

  commit(sha: string): CommitRecord {
    let commit = this.commits.get(sha);
    if (!commit) {
      commit = parseCommit(sha, this.text(['cat-file', 'commit', sha]));
      this.commits.set(sha, commit);
    }
    return commit;
  }

  /** Every file of the commit's tree: path → content. */
  files(sha: string): Map<string, string> {
    let files = this.trees.get(sha);
    if (!files) {
      files = this.readTree(sha);
      this.trees.set(sha, files);
    }
    return files;
  }

  mergeBase(a: string, b: string): string | undefined {
    return this.tryText(['merge-base', a, b]);
  }

  /** Commits reachable from `to` but not from `from`, oldest first. */
  commitsBetween(from: string, to: string): string[] {
    return this.text(['rev-list', '--reverse', to, `^${from}`])
      .split('\n')
      .filter(Boolean);
  }

  /** Old path → new path for the files git sees renamed between two commits. */
  renames(from: string, to: string): Record<string, string> {
    const fields = this.text(['diff-tree', '-r', '-M', '-z', '--name-status', from, to]).split(
      '\0',
    );
    const renames: Record<string, string> = {};
    // Status, path; or for renames and copies (R100, C75) status, old path, new path.
    for (let i = 0; i < fields.length - 1; i += 2) {
      if (/^[RC]\d*$/.test(fields[i])) {
        if (fields[i].startsWith('R')) renames[fields[i + 1]] = fields[i + 2];
        i += 1;
      }
    }
    return renames;
  }

  /** The commit's change against its first parent, as `git show` prints it (patch only). */
  patch(sha: string): string {
    const [parent] = this.commit(sha).parentIds;
    return parent
      ? this.text(['diff', '-M', '--no-color', '--no-ext-diff', parent, sha])
      : this.text(['diff-tree', '-p', '-M', '--root', '--no-commit-id', '--no-color', sha]);
  }

  private readTree(sha: string): Map<string, string> {
    const entries = this.text(['ls-tree', '-r', '-z', '--full-tree', sha])
      .split('\0')
      .filter(Boolean)
      .map((entry) => /^\d+ (\w+) ([0-9a-f]+)\t(.*)$/s.exec(entry))
      .filter((m): m is RegExpExecArray => m !== null && m[1] === 'blob');
    const files = new Map<string, string>();
    if (entries.length === 0) return files;
    const out = this.git(['cat-file', '--batch'], entries.map((m) => `${m[2]}\n`).join(''));
    let offset = 0;
    for (const [, , , path] of entries) {
      const header = out.subarray(offset, out.indexOf(10, offset)).toString('utf8');
      const size = Number(header.split(' ')[2]);
      const start = offset + Buffer.byteLength(header) + 1;
      files.set(path, out.subarray(start, start + size).toString('utf8'));
      offset = start + size + 1;
    }
    return files;
  }

  private git(args: string[], input?: string | Buffer): Buffer {
    return execFileSync('git', args, {
      cwd: this.dir,
      env: { ...this.env, GIT_DIR: this.dir },
      input,
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  private text(args: string[]): string {
    return this.git(args).toString('utf8');
  }

  private tryText(args: string[]): string | undefined {
    try {
      return this.text(args).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/** The environment git runs with for the stand-in: nobody's own configuration applies. */
export function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/** fast-import's C-style quoting, so any path survives. */
function quotePath(path: string): string {
  const escaped = path
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t');
  return `"${escaped}"`;
}

function parseCommit(sha: string, raw: string): CommitRecord {
  const split = raw.indexOf('\n\n');
  const headers = raw.slice(0, split).split('\n');
  const message = split < 0 ? '' : raw.slice(split + 2);
  const person = (kind: string) => {
    const header = headers.find((h) => h.startsWith(`${kind} `)) ?? '';
    const [, name = '', email = '', time = '0'] = /^\w+ (.*) <(.*)> (\d+) /.exec(header) ?? [];
    return { name, email, date: new Date(Number(time) * 1000).toISOString() };
  };
  const author = person('author');
  const committer = person('committer');
  return {
    sha,
    title: message.split('\n')[0],
    message,
    parentIds: headers.filter((h) => h.startsWith('parent ')).map((h) => h.slice(7)),
    authorName: author.name,
    authorEmail: author.email,
    authoredDate: author.date,
    committerName: committer.name,
    committerEmail: committer.email,
    committedDate: committer.date,
  };
}
