import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedReference } from '../forge/forge';
import { listJobs } from './fix-pipeline/ci-config';

/** A job of the workspace's `.gitlab-ci.yml`, given as `job:<name>` or just its name. */
export function localJobReference(
  text: string,
  workspaceFolder: string,
): ResolvedReference | undefined {
  const name = text.trim().replace(/^job:\s*/, '');
  if (!name || /\s/.test(name) || name.includes('/')) return undefined;
  const read = (file: string) => {
    const full = path.resolve(workspaceFolder, file.replace(/^\/+/, ''));
    if (!full.startsWith(path.resolve(workspaceFolder) + path.sep)) return undefined;
    try {
      return fs.readFileSync(full, 'utf8');
    } catch {
      return undefined;
    }
  };
  let jobs: string[];
  try {
    jobs = listJobs(read).map((j) => j.name);
  } catch {
    return undefined;
  }
  if (!jobs.includes(name)) return undefined;
  return {
    kind: 'pipeline',
    projectPath: path.basename(workspaceFolder),
    id: 0,
    url: `file://${path.join(workspaceFolder, '.gitlab-ci.yml')}`,
    label: `local job ${name}`,
    local: { workspaceFolder, job: name },
  };
}

/** A task described in words (not an issue reference), for Implement Issue without GitLab. */
export function localTaskReference(
  text: string,
  workspaceFolder: string,
): ResolvedReference | undefined {
  const task = text.trim();
  const looksLikeReference = /^\S+$/.test(task) || /#\d+\b/.test(task) || /^https?:\/\//.test(task);
  if (looksLikeReference || task.split(/\s+/).length < 3) return undefined;
  const title = task.split('\n')[0].slice(0, 60);
  return {
    kind: 'issue',
    projectPath: path.basename(workspaceFolder),
    id: 0,
    url: `file://${workspaceFolder}`,
    label: `local task "${title}${title.length < task.split('\n')[0].length ? '…' : ''}"`,
    local: { workspaceFolder, task },
  };
}
