import { AccessLevel, type Forge, type ResolvedReference } from '../forge/forge';
import type { Flow } from './flow';

const LEVEL_NAMES = new Map<number, string>(
  Object.entries(AccessLevel).map(([name, level]) => [level, name]),
);

/**
 * Checks the person's access level on the project at this moment; answers why the flow may not
 * run, or undefined when it may.
 */
export async function accessProblem(
  forge: Forge,
  flow: Flow,
  reference: ResolvedReference,
): Promise<string | undefined> {
  const { username, level } = await forge.accessLevel(reference.projectPath);
  if (level >= flow.requiredAccess) return undefined;
  const has = level === 0 ? 'no access' : `${LEVEL_NAMES.get(level) ?? `level ${level}`} access`;
  return (
    `${flow.name} needs ${flow.requiredAccessName} access or higher on ${reference.projectPath}, ` +
    `and ${username} has ${has}. Ask a project maintainer for access.`
  );
}
