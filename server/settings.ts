import { z } from 'zod';
import type { TandemConfig } from './config';

const OPENAI_BASE_URL = 'https://api.openai.com/v1';

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
    sessions: z.object({ maxConcurrent: z.number().int().min(1).max(64) }).partial(),
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
  const baseUrl = trimSlash(s.model?.baseUrl || env.OPENAI_BASE_URL || OPENAI_BASE_URL);
  return {
    problems,
    config: {
      model: {
        baseUrl,
        apiKey: s.model?.apiKey || env.OPENAI_API_KEY || '',
        name: s.model?.name || env.TANDEM_MODEL || 'gpt-4o-mini',
        timeoutMs: s.model?.timeoutMs ?? 60_000,
        maxRetries: s.model?.maxRetries ?? 3,
        retryBaseMs: s.model?.retryBaseMs ?? 500,
      },
      gitlab: {
        url: trimSlash(s.gitlab?.url || env.GITLAB_URL || 'https://gitlab.com'),
        token: s.gitlab?.token || env.GITLAB_TOKEN || '',
      },
      sessions: { maxConcurrent: s.sessions?.maxConcurrent ?? 4 },
      review: {
        maxFileChars: s.review?.maxFileChars ?? 40_000,
        maxTotalChars: s.review?.maxTotalChars ?? 160_000,
      },
    },
  };
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

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** True when the endpoint is OpenAI's own, which needs a key (local servers usually do not). */
export function needsApiKey(baseUrl: string): boolean {
  return baseUrl.startsWith(OPENAI_BASE_URL);
}
