/** The server's settings: `workspace/configuration` section `tandem`, then environment fallbacks. */
export interface ModelConfig {
  /** OpenAI-compatible base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  apiKey: string;
  name: string;
  /** Abort a request when no byte arrives for this long. */
  timeoutMs: number;
  maxRetries: number;
  /** First backoff delay; doubles each retry (with jitter), capped at 30 s. */
  retryBaseMs: number;
}

export interface GitLabConfig {
  /** Web URL of the GitLab instance, e.g. `https://gitlab.com`. */
  url: string;
  token: string;
}

export interface ReviewConfig {
  /** Largest diff of one file sent to the model, in characters. */
  maxFileChars: number;
  /** Largest total context (diffs + surrounding code) sent to the model, in characters. */
  maxTotalChars: number;
}

export interface SandboxConfig {
  /** Image for projects without `.devcontainer/devcontainer.json`. */
  image: string;
  /** Container network: `none` (default) or `bridge` when the person allows it. */
  network: 'none' | 'bridge';
  /** Memory limit, e.g. `2g`. */
  memory: string;
  cpus: number;
  pids: number;
  /** Default command timeout. */
  commandTimeoutMs: number;
  /** Bytes of output kept per stream (half head, half tail). */
  outputLimit: number;
}

export interface FlowsConfig {
  /** Model rounds one agent step may take. */
  maxCycles: number;
  /** Tokens (prompt + completion) one session may use. */
  maxTokens: number;
  /** Wall time one session may take. */
  maxMinutes: number;
  /** The project's test command for Implement Issue; detected when empty. */
  testCommand: string;
}

export interface TandemConfig {
  flows: FlowsConfig;
  model: ModelConfig;
  gitlab: GitLabConfig;
  sandbox: SandboxConfig;
  sessions: {
    maxConcurrent: number;
    /** A running session with no progress (events, output) for this long is failed as stuck. */
    stuckMinutes: number;
  };
  review: ReviewConfig;
}
