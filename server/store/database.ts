import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Db = Database.Database;

/**
 * Schema versions, applied in order inside one transaction each. Never edit a shipped entry;
 * add a new one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    reference TEXT NOT NULL,
    trigger TEXT NOT NULL,
    conversation_id TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    step TEXT,
    result TEXT,
    error TEXT,
    seq INTEGER NOT NULL,
    owner_pid INTEGER,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    model_calls INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX sessions_status ON sessions(status);
  CREATE TABLE session_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
  );
  CREATE INDEX session_events_session ON session_events(session_id, id);
  CREATE TABLE session_steps (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    ordinal INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    PRIMARY KEY (session_id, ordinal)
  );
  CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    context TEXT NOT NULL,
    owner_pid INTEGER,
    decision TEXT,
    scope TEXT,
    reason TEXT,
    feedback TEXT,
    created_at TEXT NOT NULL,
    resolved_at TEXT
  );
  CREATE INDEX approvals_status ON approvals(status);
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    turn_id TEXT NOT NULL,
    role TEXT NOT NULL,
    content TEXT,
    tool_calls TEXT,
    tool_call_id TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX messages_conversation ON messages(conversation_id, id);
  CREATE TABLE telemetry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    flow TEXT,
    trigger TEXT,
    session_id TEXT,
    data TEXT
  );
  CREATE INDEX telemetry_type ON telemetry(type, at);
  `,
  `
  ALTER TABLE sessions ADD COLUMN owner TEXT;
  ALTER TABLE approvals ADD COLUMN owner TEXT;
  ALTER TABLE conversations ADD COLUMN context TEXT;
  `,
  `
  CREATE TABLE policy_rules (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    pattern TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('allow', 'ask', 'deny')),
    scope TEXT NOT NULL CHECK (scope IN ('session', 'always')),
    session_id TEXT,
    feedback TEXT,
    created_at TEXT NOT NULL,
    CHECK ((scope = 'session') = (session_id IS NOT NULL))
  );
  CREATE INDEX policy_rules_project ON policy_rules(project, scope, session_id);
  `,
  `
  ALTER TABLE sessions ADD COLUMN model_ms INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN tool_ms INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN tool_calls INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN exec_ms INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN approval_wait_ms INTEGER NOT NULL DEFAULT 0;
  `,
  `
  CREATE TABLE session_checkpoints (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    ordinal INTEGER NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    step TEXT,
    state TEXT NOT NULL,
    worktree TEXT,
    event_id INTEGER NOT NULL REFERENCES session_events(id),
    PRIMARY KEY (session_id, ordinal)
  );
  ALTER TABLE sessions ADD COLUMN resolved_reference TEXT;
  ALTER TABLE approvals ADD COLUMN used_at TEXT;
  `,
  `
  ALTER TABLE sessions ADD COLUMN checkpoint_ms INTEGER NOT NULL DEFAULT 0;
  `,
];

/** `$TANDEM_STATE_DIR`, else `$XDG_STATE_HOME/tandem`, else `~/.local/state/tandem`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TANDEM_STATE_DIR) return env.TANDEM_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'tandem');
}

export function openDatabase(stateDir: string): Db {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(stateDir, 'tandem.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The state database was written by a newer tandem (schema ${current}); upgrade tandem or ` +
        'point TANDEM_STATE_DIR elsewhere.',
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/**
 * SQLite refusing a write (better-sqlite3's `SqliteError` carries SQLite's code), in words:
 * undefined for any other error.
 */
export function storageProblem(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const why = code.startsWith('SQLITE_BUSY')
    ? 'another process holds a lock on it'
    : code.startsWith('SQLITE_FULL')
      ? 'the disk it is on is full'
      : (error as Error).message;
  return `tandem could not write its state database (${code}): ${why}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
