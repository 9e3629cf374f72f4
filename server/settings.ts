import { z } from 'zod';
import type { TandemConfig } from './config';

const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const GITLAB_URL = 'https://gitlab.com';
export const DEFAULT_SANDBOX_IMAGE = 'tandem/sandbox-base:bookworm';

/** The `tandem` section of `workspace/configuration`; every field optional, unknown ones ignored. */
const Section = z
  .object({
    model: z
      .object({
        baseUrl: z.string().url(),
        apiKey: z.string(),
        name: z.string().min(1),
        timeoutMs: z.number().int().min(100).max(600_000),
        maxRetries: z.number().int().min(0).max(10),
        retryBaseMs: z.number().int().min(0).max(60_000),
      })
      .partial(),
    gitlab: z.object({ url: z.string().url(), token: z.string() }).partial(),
    sessions: z
      .object({
        maxConcurrent: z.number().int().min(1).max(64),
        stuckMinutes: z
          .number()
          .min(0.01)
          .max(24 * 60),
      })
      .partial(),
    flows: z
      .object({
        maxCycles: z.number().int().min(1).max(200),
        maxTokens: z.number().int().min(1000).max(100_000_000),
        maxMinutes: z
          .number()
          .min(1)
          .max(24 * 60),
        testCommand: z.string(),
      })
      .partial(),
    sandbox: z
      .object({
        image: z.string().min(1),
        network: z.enum(['none', 'bridge']),
        memory: z.string().regex(/^\d+[kmg]?$/i),
        cpus: z.number().positive().max(256),
        pids: z.number().int().min(16).max(100_000),
        commandTimeoutMs: z
          .number()
          .int()
          .min(1000)
          .max(24 * 3600_000),
        outputLimit: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024),
      })
      .partial(),
    review: z
      .object({
        maxFileChars: z.number().int().min(1000).max(1_000_000),
        maxTotalChars: z.number().int().min(1000).max(2_000_000),
      })
      .partial(),
  })
  .partial();

export interface ResolvedSettings {
  config: TandemConfig;
  /** Settings that were ignored, each with why; logged for the person to fix. */
  problems: string[];
}

/**
 * Settings from the editor win; environment variables fill the gaps (`OPENAI_API_KEY`,
 * `OPENAI_BASE_URL`, `TANDEM_MODEL`, `GITLAB_TOKEN`, `GITLAB_URL`). Invalid fields are dropped
 * one by one, so one typo never loses the rest.
 */
export function resolveSettings(section: unknown, env: NodeJS.ProcessEnv): ResolvedSettings {
  const problems: string[] = [];
  const s = readSection(section, problems);
  const model = endpoint(
    { url: s.model?.baseUrl, secret: s.model?.apiKey },
    { url: env.OPENAI_BASE_URL || OPENAI_BASE_URL, secret: env.OPENAI_API_KEY },
    {
      url: 'tandem.model.baseUrl',
      secret: 'tandem.model.apiKey',
      envUrl: 'OPENAI_BASE_URL',
      envSecret: 'OPENAI_API_KEY',
      fallback: OPENAI_BASE_URL,
    },
    problems,
  );
  const gitlab = endpoint(
    { url: s.gitlab?.url, secret: s.gitlab?.token },
    { url: env.GITLAB_URL || GITLAB_URL, secret: env.GITLAB_TOKEN },
    {
      url: 'tandem.gitlab.url',
      secret: 'tandem.gitlab.token',
      envUrl: 'GITLAB_URL',
      envSecret: 'GITLAB_TOKEN',
      fallback: GITLAB_URL,
    },
    problems,
  );
  return {
    problems,
    config: {
      model: {
        baseUrl: model.url,
        apiKey: model.secret,
        name: s.model?.name || env.TANDEM_MODEL || 'gpt-4o-mini',
        timeoutMs: s.model?.timeoutMs ?? 60_000,
        maxRetries: s.model?.maxRetries ?? 3,
        retryBaseMs: s.model?.retryBaseMs ?? 500,
      },
      gitlab: { url: gitlab.url, token: gitlab.secret },
      sessions: {
        maxConcurrent: s.sessions?.maxConcurrent ?? 4,
        stuckMinutes: s.sessions?.stuckMinutes ?? 10,
      },
      flows: {
        maxCycles: s.flows?.maxCycles ?? 25,
        maxTokens: s.flows?.maxTokens ?? 2_000_000,
        maxMinutes: s.flows?.maxMinutes ?? 60,
        testCommand: s.flows?.testCommand ?? '',
      },
      sandbox: {
        image: s.sandbox?.image || env.TANDEM_SANDBOX_IMAGE || DEFAULT_SANDBOX_IMAGE,
        network: s.sandbox?.network ?? 'none',
        memory: s.sandbox?.memory ?? '2g',
        cpus: s.sandbox?.cpus ?? 2,
        pids: s.sandbox?.pids ?? 512,
        commandTimeoutMs: s.sandbox?.commandTimeoutMs ?? 10 * 60_000,
        outputLimit: s.sandbox?.outputLimit ?? 256 * 1024,
      },
      review: {
        maxFileChars: s.review?.maxFileChars ?? 40_000,
        maxTotalChars: s.review?.maxTotalChars ?? 160_000,
      },
    },
  };
}

interface Source {
  url?: string;
  secret?: string;
}

/**
 * A URL and the secret sent to it. A secret from the environment goes only to the URL from the
 * environment (or the default): settings that point elsewhere, say a cloned project's
 * workspace settings, must bring their own secret, so none leaks to a host it was not meant for.
 */
function endpoint(
  settings: Source,
  environment: Source,
  names: { url: string; secret: string; envUrl: string; envSecret: string; fallback: string },
  problems: string[],
): { url: string; secret: string } {
  const envUrl = cleanUrl(
    environment.url ?? names.fallback,
    names.envUrl,
    problems,
    names.fallback,
  );
  const url = settings.url ? cleanUrl(settings.url, names.url, problems, envUrl) : envUrl;
  if (settings.secret) return { url, secret: settings.secret };
  if (!environment.secret) return { url, secret: '' };
  if (new URL(url).origin === new URL(envUrl).origin) return { url, secret: environment.secret };
  problems.push(
    `${names.envSecret} is not sent to ${url}: it belongs to ${envUrl}. Set ${names.secret} ` +
      `for ${url}, or ${names.envUrl} to it.`,
  );
  return { url, secret: '' };
}

/** Drops a trailing slash and any user:password part, which would leak into logs and prompts. */
function cleanUrl(raw: string, name: string, problems: string[], fallback: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`Ignored ${name}: "${raw}" is not a URL.`);
    return fallback;
  }
  if (url.username || url.password) {
    problems.push(`Removed the credentials from ${name}: put secrets in the token or key setting.`);
    url.username = '';
    url.password = '';
  }
  return url.toString().replace(/\/+$/, '');
}

type SectionValue = z.infer<typeof Section>;

function readSection(section: unknown, problems: string[]): SectionValue {
  if (section === null || section === undefined) return {};
  const parsed = Section.safeParse(section);
  if (parsed.success) return parsed.data;
  const cleaned = structuredClone(section) as Record<string, Record<string, unknown>>;
  for (const issue of parsed.error.issues) {
    const [group, field] = issue.path as string[];
    problems.push(`Ignored tandem.${issue.path.join('.')}: ${issue.message}`);
    if (field !== undefined && cleaned[group]) delete cleaned[group][field];
    else if (group !== undefined) delete cleaned[group];
  }
  const retry = Section.safeParse(cleaned);
  return retry.success ? retry.data : {};
}

/** True when the endpoint is OpenAI's own, which needs a key (local servers usually do not). */
export function needsApiKey(baseUrl: string): boolean {
  return baseUrl.startsWith(OPENAI_BASE_URL);
}
