/**
 * The environment a command may receive is an allow-list: ordinary settings pass, anything
 * that looks like a credential never does, whoever asks for it.
 */
const ALLOWED = new Set([
  'CI',
  'LANG',
  'LC_ALL',
  'TERM',
  'TZ',
  'NODE_ENV',
  'NODE_OPTIONS',
  'PYTHONPATH',
  'PYTHONUNBUFFERED',
  'GOFLAGS',
  'CARGO_TERM_COLOR',
  'FORCE_COLOR',
  'NO_COLOR',
  'DEBIAN_FRONTEND',
]);

/** Prefixes of variables that CI job definitions set (GitLab's own, and npm's config). */
const ALLOWED_PREFIXES = ['CI_', 'npm_config_', 'TANDEM_'];

const SECRET_LOOKING = /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL|AUTH/i;

export function allowedEnv(env: Record<string, string> | undefined): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || SECRET_LOOKING.test(name)) continue;
    if (ALLOWED.has(name) || ALLOWED_PREFIXES.some((p) => name.startsWith(p))) {
      out.push(`${name}=${value}`);
    }
  }
  return out;
}

/** The environment the devcontainer CLI runs with: no secrets for `${localEnv:…}` to pick up. */
export function scrubbedHostEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const keep = [
    'PATH',
    'HOME',
    'USER',
    'LANG',
    'TMPDIR',
    'DOCKER_HOST',
    'DOCKER_CONFIG',
    'XDG_RUNTIME_DIR',
  ];
  return Object.fromEntries(keep.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}
