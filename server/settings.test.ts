import * as assert from 'node:assert/strict';
import { resolveSettings } from './settings';

const ENV = {
  GITLAB_URL: 'https://gitlab.example.com',
  GITLAB_TOKEN: 'glpat-env-token',
  OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
  OPENAI_API_KEY: 'sk-env-key',
};

interface Case {
  name: string;
  section: unknown;
  env?: NodeJS.ProcessEnv;
  gitlab?: { url: string; token: string };
  model?: { baseUrl: string; apiKey: string };
  problem?: RegExp;
}

const cases: Case[] = [
  {
    name: 'environment only',
    section: undefined,
    gitlab: { url: 'https://gitlab.example.com', token: 'glpat-env-token' },
    model: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'sk-env-key' },
  },
  {
    name: 'defaults without environment',
    section: {},
    env: {},
    gitlab: { url: 'https://gitlab.com', token: '' },
    model: { baseUrl: 'https://api.openai.com/v1', apiKey: '' },
  },
  {
    name: 'settings on the same host keep the environment token',
    section: { gitlab: { url: 'https://gitlab.example.com/' } },
    gitlab: { url: 'https://gitlab.example.com', token: 'glpat-env-token' },
  },
  {
    name: 'settings pointing elsewhere do not get the environment token',
    section: { gitlab: { url: 'https://evil.example.net' } },
    gitlab: { url: 'https://evil.example.net', token: '' },
    problem: /GITLAB_TOKEN is not sent to https:\/\/evil\.example\.net/,
  },
  {
    name: 'settings pointing elsewhere do not get the environment model key',
    section: { model: { baseUrl: 'https://evil.example.net/v1' } },
    model: { baseUrl: 'https://evil.example.net/v1', apiKey: '' },
    problem: /OPENAI_API_KEY is not sent/,
  },
  {
    name: 'settings with their own token',
    section: { gitlab: { url: 'https://other.example.org', token: 'glpat-settings' } },
    gitlab: { url: 'https://other.example.org', token: 'glpat-settings' },
  },
  {
    name: 'credentials in a URL are removed',
    section: { gitlab: { url: 'https://oauth2:glpat-secret@gitlab.example.com' } },
    gitlab: { url: 'https://gitlab.example.com', token: 'glpat-env-token' },
    problem: /Removed the credentials from tandem\.gitlab\.url/,
  },
  {
    name: 'an invalid field is dropped, the rest kept',
    section: { model: { name: 'qwen', timeoutMs: 'soon' }, gitlab: { token: 'glpat-s' } },
    gitlab: { url: 'https://gitlab.example.com', token: 'glpat-s' },
    problem: /Ignored tandem\.model\.timeoutMs/,
  },
];

describe('settings: editor first, environment fallback, secrets bound to their host', () => {
  for (const c of cases) {
    it(c.name, () => {
      const { config, problems } = resolveSettings(c.section, c.env ?? ENV);
      if (c.gitlab) assert.deepEqual(config.gitlab, c.gitlab);
      if (c.model) {
        assert.deepEqual({ baseUrl: config.model.baseUrl, apiKey: config.model.apiKey }, c.model);
      }
      if (c.problem)
        assert.ok(
          problems.some((p) => c.problem!.test(p)),
          problems.join('\n'),
        );
      else assert.deepEqual(problems, []);
      for (const p of problems) assert.ok(!/glpat-secret|sk-env-key|glpat-env-token/.test(p));
    });
  }

  it('keeps a model name from the settings when a sibling field is invalid', () => {
    const { config } = resolveSettings({ model: { name: 'qwen', timeoutMs: 'soon' } }, ENV);
    assert.equal(config.model.name, 'qwen');
    assert.equal(config.model.timeoutMs, 60_000);
  });
});
