import { parseAllDocuments, type CollectionTag, type ScalarTag, type YAMLSeq } from 'yaml';

/** What GitLab runs for one job, read from the project's CI configuration. */
export interface JobDefinition {
  name: string;
  image?: string;
  /** GitLab's default stage, `test`, when the job names none. */
  stage: string;
  script: string[];
  beforeScript: string[];
  afterScript: string[];
  /**
   * Global variables merged with the job's, as written: `$VAR` expands when the job runs and `$$`
   * is a literal `$` (a variable with `expand: false` is kept with its `$` doubled).
   */
  variables: Record<string, string>;
  /** What the reproduction leaves out (includes that cannot be read, ...), to tell the person. */
  warnings: string[];
}

/** One job of the pipeline, as `listJobs` shows it. */
export interface CiJob {
  name: string;
  stage: string;
}

/** Reads a file of the project's repository by its path from the root; undefined when absent. */
export type ProjectFiles = (path: string) => string | undefined;

/** What the runner would know about the place and revision the job runs at. */
export interface JobEnvironment {
  /** Where the repository is checked out in the sandbox (`CI_PROJECT_DIR`). */
  projectDir: string;
  commitSha?: string;
  /** The branch or tag the pipeline ran for (`CI_COMMIT_REF_NAME`). */
  refName?: string;
}

const ROOT_FILE = '.gitlab-ci.yml';
// Top-level keywords, never jobs (`pages` is a job, however special).
const RESERVED_KEYS = new Set([
  ...['default', 'include', 'stages', 'types', 'variables', 'workflow', 'spec'],
  ...['image', 'services', 'cache', 'before_script', 'after_script'],
]);
/** The `default:` keywords that shape what a reproduction runs; the rest (cache, tags, ...) do not. */
const INHERITED_KEYS = ['image', 'before_script', 'after_script'];
const MAX_REFERENCE_DEPTH = 10;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Mapping = Record<string, unknown>;

/** A `!reference [job, key, ...]` tag, resolved once the whole configuration is merged. */
class Reference {
  constructor(readonly path: string[]) {}
}

const REFERENCE_USAGE = '!reference takes a list of keys, such as !reference [.setup, script]';
const REFERENCE_TAGS: (CollectionTag | ScalarTag)[] = [
  {
    tag: '!reference',
    collection: 'seq',
    resolve(seq, onError) {
      const path: unknown = (seq as YAMLSeq).toJSON();
      const valid =
        Array.isArray(path) && path.length > 0 && path.every((k) => typeof k === 'string');
      if (!valid) onError(REFERENCE_USAGE);
      return new Reference(valid ? path : []);
    },
  },
  { tag: '!reference', resolve: (_value, onError) => onError(REFERENCE_USAGE) },
];

/** Reads the job `jobName` as GitLab would run it: includes, extends, references and defaults. */
export function resolveJob(files: ProjectFiles, jobName: string): JobDefinition {
  const { root, warnings, includesSkipped } = loadConfig(files);
  const job = root[jobName];
  if (!isJobName(jobName) || !Object.hasOwn(root, jobName) || !isMapping(job)) {
    const jobs = jobNames(root);
    throw new Error(
      `There is no job "${jobName}" in ${ROOT_FILE}${includesSkipped ? ' or the files it could include' : ''}. ` +
        (jobs.length ? `Pick one of: ${jobs.join(', ')}.` : 'It defines no jobs.'),
    );
  }
  const inherit = isMapping(job.inherit) ? job.inherit : {};
  const defaults = inheritedDefaults(root, inherit.default, warnings);
  const keyword = (key: string) => (Object.hasOwn(job, key) ? job[key] : defaults[key]);
  const script = scriptLines(job.script);
  if (!script.length) {
    throw new Error(
      `Job "${jobName}" has no script (a trigger job or an unfinished one): there are no commands to reproduce; pick a job with a script.`,
    );
  }
  return {
    name: jobName,
    image: imageName(keyword('image')),
    stage: typeof job.stage === 'string' ? job.stage : 'test',
    script,
    beforeScript: scriptLines(keyword('before_script')),
    afterScript: scriptLines(keyword('after_script')),
    variables: validVariables(
      {
        ...inheritedVariables(root.variables, inherit.variables),
        ...variableValues(job.variables),
      },
      warnings,
    ),
    warnings,
  };
}

/** The jobs a pipeline of this configuration has, without hidden (`.name`) jobs and keywords. */
export function listJobs(files: ProjectFiles): CiJob[] {
  const { root } = loadConfig(files);
  return jobNames(root).map((name) => {
    const stage = (root[name] as Mapping).stage;
    return { name, stage: typeof stage === 'string' ? stage : 'test' };
  });
}

/**
 * One POSIX sh script that runs the job as GitLab's runner does: predefined and job variables
 * exported, `before_script` and `script` in one shell that stops at the first failing command
 * (each echoed as `$ command` first), then `after_script` in a fresh shell whatever happened, whose
 * failure leaves the exit code alone; the script exits with the job's code.
 */
export function jobScript(job: JobDefinition, env: JobEnvironment): string {
  const variables = expandVariables([
    ...predefinedVariables(job, env),
    ...Object.entries(job.variables),
  ]);
  const lines = [
    '#!/bin/sh',
    `# GitLab CI job ${JSON.stringify(job.name)} (stage ${JSON.stringify(job.stage)}), as the runner runs it.`,
    ...[...variables].map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    '(',
    ...shellSteps([...job.beforeScript, ...job.script]),
    ')',
    'tandem_job_status=$?',
    'if [ "$tandem_job_status" -eq 0 ]; then CI_JOB_STATUS=success; else CI_JOB_STATUS=failed; fi',
    'export CI_JOB_STATUS',
  ];
  if (job.afterScript.length) {
    lines.push(
      '(',
      ...shellSteps(job.afterScript),
      ')',
      'tandem_after_status=$?',
      'if [ "$tandem_after_status" -ne 0 ]; then',
      `  printf '%s\\n' "WARNING: after_script failed, but job will continue unaffected: exit code $tandem_after_status"`,
      'fi',
    );
  }
  lines.push('exit "$tandem_job_status"');
  return lines.join('\n') + '\n';
}

interface IncludeReading {
  files: ProjectFiles;
  warnings: string[];
  /** Files already read: each is read once, which also ends include cycles. */
  seen: Set<string>;
  skipped: number;
}

interface LoadedConfig {
  root: Mapping;
  warnings: string[];
  includesSkipped: boolean;
}

function loadConfig(files: ProjectFiles): LoadedConfig {
  const text = files(ROOT_FILE);
  if (text === undefined) {
    throw new Error(
      `The project has no ${ROOT_FILE} at its root, so there is no pipeline job to reproduce.`,
    );
  }
  const reading: IncludeReading = { files, warnings: [], seen: new Set([ROOT_FILE]), skipped: 0 };
  const merged = withIncludes(parseCiFile(text, ROOT_FILE, reading.warnings), ROOT_FILE, reading);
  // GitLab's order: includes, then extends, then !reference (which sees extended jobs).
  const extended = resolveExtends(merged, reading.skipped > 0);
  return {
    root: resolveReferences(extended, extended, 0) as Mapping,
    warnings: reading.warnings,
    includesSkipped: reading.skipped > 0,
  };
}

function parseCiFile(text: string, path: string, warnings: string[]): Mapping {
  const documents = parseAllDocuments(text, { merge: true, customTags: REFERENCE_TAGS });
  const list = Array.isArray(documents) ? documents : [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      throw new Error(`${path} is not valid YAML (${error.message.split('\n')[0]}): fix the file.`);
    }
  }
  // A file with a `spec:` header keeps its configuration in the second document.
  const header: unknown = list.length > 1 ? list[0].toJS() : undefined;
  const hasHeader = isMapping(header) && 'spec' in header;
  if (hasHeader) warnings.push(`${path} declares spec:inputs; $[[ inputs ]] are not interpolated.`);
  const value: unknown = (hasHeader ? list[1] : list[0])?.toJS() ?? {};
  if (!isMapping(value)) {
    throw new Error(`${path} must be a mapping of jobs and keywords; fix the file.`);
  }
  return value;
}

/** Merges local includes under the file's own keys (which win), as GitLab does. */
function withIncludes(config: Mapping, from: string, reading: IncludeReading): Mapping {
  const { include, ...own } = config;
  let merged: Mapping = {};
  for (const entry of asList(include)) {
    const path = localIncludePath(entry, from, reading);
    if (path === undefined || reading.seen.has(path)) continue;
    reading.seen.add(path);
    const text = reading.files(path);
    if (text === undefined) {
      throw new Error(
        `${from} includes "${path}", which is not in the repository: add the file or fix the include.`,
      );
    }
    const included = withIncludes(parseCiFile(text, path, reading.warnings), path, reading);
    merged = deepMerge(merged, included);
  }
  return deepMerge(merged, own);
}

function localIncludePath(
  entry: unknown,
  from: string,
  reading: IncludeReading,
): string | undefined {
  const { warnings } = reading;
  const skip = (what: string) => {
    reading.skipped++;
    warnings.push(
      `${from}: skipped include of ${what}: only local files can be read here, so the jobs and defaults it defines are missing.`,
    );
    return undefined;
  };
  let local: unknown = entry;
  if (isMapping(entry)) {
    const kind = ['remote', 'template', 'project', 'component'].find((k) => k in entry);
    if (kind) return skip(`${kind} ${JSON.stringify(entry[kind])}`);
    if (entry.rules !== undefined)
      warnings.push(
        `${from}: include rules are not evaluated; ${String(entry.local)} is included.`,
      );
    if (entry.inputs !== undefined)
      warnings.push(`${from}: inputs of ${String(entry.local)} are not interpolated.`);
    local = entry.local;
  }
  if (typeof local !== 'string' || !local.trim()) return skip(JSON.stringify(entry));
  if (/^https?:\/\//i.test(local)) return skip(`remote ${JSON.stringify(local)}`);
  if (local.includes('*')) return skip(`the pattern ${JSON.stringify(local)}`);
  return local.trim().replace(/^\.?\/+/, '');
}

/** Resolves `extends` everywhere: hashes merge deeply, arrays and scalars of the later one win. */
function resolveExtends(config: Mapping, includesSkipped: boolean): Mapping {
  const done = new Map<string, Mapping>();
  const resolving: string[] = [];
  const resolve = (name: string): Mapping => {
    const cached = done.get(name);
    if (cached) return cached;
    if (resolving.includes(name)) {
      const cycle = [...resolving.slice(resolving.indexOf(name)), name].join(' → ');
      throw new Error(`extends forms a cycle (${cycle}): remove one of these extends.`);
    }
    resolving.push(name);
    const { extends: parents, ...own } = config[name] as Mapping;
    let merged: Mapping = {};
    for (const parent of asList(parents)) {
      const defined =
        typeof parent === 'string' &&
        Object.hasOwn(config, parent) &&
        isMapping(config[parent]) &&
        !RESERVED_KEYS.has(parent);
      if (!defined) {
        const hint = includesSkipped ? ' (it may come from an include that could not be read)' : '';
        throw new Error(
          `"${name}" extends ${JSON.stringify(parent)}, which is not defined${hint}: define it or fix the extends.`,
        );
      }
      merged = deepMerge(merged, resolve(parent));
    }
    const result = deepMerge(merged, own);
    resolving.pop();
    done.set(name, result);
    return result;
  };
  const out: Mapping = { ...config };
  for (const [name, value] of Object.entries(config)) {
    if (!RESERVED_KEYS.has(name) && isMapping(value)) out[name] = resolve(name);
  }
  return out;
}

/** Replaces `!reference` tags; a referenced list inside a list is spliced in, one level. */
function resolveReferences(node: unknown, root: Mapping, depth: number): unknown {
  if (node instanceof Reference) {
    const shown = `!reference [${node.path.join(', ')}]`;
    if (depth >= MAX_REFERENCE_DEPTH) {
      throw new Error(
        `${shown} nests more than ${MAX_REFERENCE_DEPTH} references deep, likely a cycle: make one of them point at plain values.`,
      );
    }
    let value: unknown = root;
    for (const key of node.path) {
      if (!isMapping(value) || !Object.hasOwn(value, key)) {
        throw new Error(`${shown} points at nothing ("${key}" is not there): fix the reference.`);
      }
      value = value[key];
    }
    return resolveReferences(value, root, depth + 1);
  }
  if (Array.isArray(node)) {
    return node.flatMap((item) => {
      const value = resolveReferences(item, root, depth);
      return item instanceof Reference && Array.isArray(value) ? value : [value];
    });
  }
  if (isMapping(node)) {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, resolveReferences(value, root, depth)]),
    );
  }
  return node;
}

/** `default:` over the deprecated top-level keywords, narrowed by the job's `inherit:default`. */
function inheritedDefaults(root: Mapping, inherit: unknown, warnings: string[]): Mapping {
  const defaults: Mapping = {};
  for (const key of INHERITED_KEYS) if (key in root) defaults[key] = root[key];
  if (isMapping(root.default)) {
    Object.assign(defaults, root.default);
    if ('variables' in root.default) {
      warnings.push(
        'default:variables is not a GitLab keyword (GitLab rejects it); move them to the top-level variables:.',
      );
    }
  }
  if (inherit === false) return {};
  if (!Array.isArray(inherit)) return defaults;
  return Object.fromEntries(Object.entries(defaults).filter(([key]) => inherit.includes(key)));
}

function inheritedVariables(globals: unknown, inherit: unknown): Record<string, string> {
  const values = variableValues(globals);
  if (inherit === false) return {};
  if (!Array.isArray(inherit)) return values;
  return Object.fromEntries(Object.entries(values).filter(([name]) => inherit.includes(name)));
}

function variableValues(variables: unknown): Record<string, string> {
  if (!isMapping(variables)) return {};
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(variables)) {
    if (isMapping(spec)) {
      const value = scalarText(spec.value);
      values[name] = spec.expand === false ? value.replaceAll('$', () => '$$') : value;
    } else values[name] = scalarText(spec);
  }
  return values;
}

function validVariables(
  values: Record<string, string>,
  warnings: string[],
): Record<string, string> {
  for (const name of Object.keys(values)) {
    if (VARIABLE_NAME.test(name)) continue;
    warnings.push(`Variable "${name}" is not a valid shell name, so it is not exported.`);
    delete values[name];
  }
  return values;
}

function scriptLines(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(scriptLines);
  return [scalarText(value)];
}

function imageName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isMapping(value) && typeof value.name === 'string' ? value.name : undefined;
}

function jobNames(root: Mapping): string[] {
  return Object.keys(root).filter((name) => isJobName(name) && isMapping(root[name]));
}

function isJobName(name: string): boolean {
  return !name.startsWith('.') && !RESERVED_KEYS.has(name);
}

function predefinedVariables(job: JobDefinition, env: JobEnvironment): [string, string][] {
  const variables: [string, string][] = [
    ['CI', 'true'],
    ['GITLAB_CI', 'true'],
    ['CI_JOB_NAME', job.name],
    ['CI_JOB_STAGE', job.stage],
    ['CI_PROJECT_DIR', env.projectDir],
  ];
  if (env.commitSha) {
    variables.push(['CI_COMMIT_SHA', env.commitSha]);
    variables.push(['CI_COMMIT_SHORT_SHA', env.commitSha.slice(0, 8)]);
  }
  if (env.refName) {
    const slug = env.refName
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '-')
      .slice(0, 63)
      .replace(/^-+|-+$/g, '');
    variables.push(['CI_COMMIT_REF_NAME', env.refName], ['CI_COMMIT_REF_SLUG', slug]);
  }
  return variables;
}

/**
 * Expands `$NAME`, `${NAME}` and `$$` in each value against the raw values, once (not
 * recursively), unknown names becoming empty: what the runner does before the job starts.
 */
function expandVariables(entries: [string, string][]): Map<string, string> {
  const raw = new Map(entries);
  const expanded = new Map<string, string>();
  for (const [name, value] of raw) {
    expanded.set(
      name,
      value.replace(
        /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
        (_m, dollar?: string, braced?: string, bare?: string) =>
          dollar ?? raw.get((braced ?? bare) as string) ?? '',
      ),
    );
  }
  return expanded;
}

/** The body of one runner shell: stop at the first failure, echo each command before it runs. */
function shellSteps(commands: string[]): string[] {
  const steps = [
    'set -e',
    // The runner's bash runs with pipefail; a sh that has it gets it too.
    'if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi',
    'cd "$CI_PROJECT_DIR"',
  ];
  for (const command of commands) {
    const lines = command.trim().split('\n');
    const shown = lines.length > 1 ? `${lines[0]} # collapsed multi-line command` : lines[0];
    steps.push(`printf '%s\\n' ${shellQuote(`$ ${shown}`)}`, command);
  }
  return steps;
}

/** One argument for sh, in single quotes. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The one command that runs the job in the sandbox: `sh -c '<jobScript>'`. */
export function jobCommand(job: JobDefinition, env: JobEnvironment): string {
  return `sh -c ${shellQuote(jobScript(job, env))}`;
}

function asList(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function scalarText(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function deepMerge(base: Mapping, override: Mapping): Mapping {
  const merged: Mapping = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isMapping(current) && isMapping(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

function isMapping(value: unknown): value is Mapping {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
