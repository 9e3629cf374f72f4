import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import type { GitBatch } from './git-batch';

export type ObjectFormat = 'sha1' | 'sha256';

/** One entry of a tree. `name` holds the name's bytes as latin1, so no name is ever re-encoded. */
export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

export const TREE_MODE = '40000';
export const SUBMODULE_MODE = '160000';

/** What a path becomes in a tree edit: a blob with its mode, or nothing (removed). */
export type PathChange = { mode: string; oid: string } | null;

/** A change the in-process writer does not make itself; git's own commands are used instead. */
export class NotPlain extends Error {}

/**
 * Objects written into a repository's object directory as git writes loose objects: the type,
 * size and content deflated, named by its hash. An object already there is not written again.
 */
export class LooseObjects {
  constructor(
    readonly dir: string,
    readonly format: ObjectFormat,
  ) {}

  write(type: 'blob' | 'tree' | 'commit', body: Buffer): string {
    const header = Buffer.from(`${type} ${body.length}\0`);
    const oid = createHash(this.format).update(header).update(body).digest('hex');
    const folder = path.join(this.dir, oid.slice(0, 2));
    const file = path.join(folder, oid.slice(2));
    if (fs.existsSync(file)) return oid;
    fs.mkdirSync(folder, { recursive: true });
    const temp = path.join(folder, `tmp_obj_${process.pid}_${randomBytes(6).toString('hex')}`);
    // Level 1, as git's core.looseCompression default; the name appears only once it is whole.
    fs.writeFileSync(temp, deflateSync(Buffer.concat([header, body]), { level: 1 }), {
      mode: 0o444,
    });
    fs.renameSync(temp, file);
    return oid;
  }
}

export function parseTree(body: Buffer, format: ObjectFormat): TreeEntry[] {
  const size = format === 'sha1' ? 20 : 32;
  const entries: TreeEntry[] = [];
  for (let at = 0; at < body.length;) {
    const space = body.indexOf(0x20, at);
    const nul = body.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 1 + size > body.length) throw new Error('malformed tree');
    entries.push({
      mode: body.toString('latin1', at, space),
      name: body.toString('latin1', space + 1, nul),
      oid: body.toString('hex', nul + 1, nul + 1 + size),
    });
    at = nul + 1 + size;
  }
  return entries;
}

/** A tree's bytes in git's order: by name, a directory's name compared as if it ended in `/`. */
export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const key = (e: TreeEntry) => (e.mode === TREE_MODE ? `${e.name}/` : e.name);
  // latin1 strings compare as their bytes do.
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return Buffer.concat(
    sorted.flatMap((e) => [
      Buffer.from(`${e.mode} ${e.name}\0`, 'latin1'),
      Buffer.from(e.oid, 'hex'),
    ]),
  );
}

/** Objects read through a running `git cat-file --batch`; trees are kept, as they never change. */
export class ObjectReader {
  private readonly trees = new Map<string, Promise<TreeEntry[]>>();

  constructor(
    private readonly batch: GitBatch,
    private readonly format: ObjectFormat,
  ) {}

  close(): void {
    this.batch.close();
  }

  /** The object `name` (an id or an expression such as `HEAD^{commit}`): its id, type and body. */
  async read(name: string): Promise<{ oid: string; type: string; body: Buffer }> {
    if (/[\n\0]/.test(name)) throw new Error(`not an object name: ${name}`);
    const answer = await this.batch.request(`${name}\n`, catFileAnswer);
    const newline = answer.indexOf(0x0a);
    const [oid, type] = answer.toString('latin1', 0, newline).split(' ');
    if (type === 'missing' || type === 'ambiguous') throw new Error(`no object ${name}`);
    return { oid, type, body: answer.subarray(newline + 1, answer.length - 1) };
  }

  tree(oid: string): Promise<TreeEntry[]> {
    let entries = this.trees.get(oid);
    if (!entries) {
      entries = this.read(oid).then(({ type, body }) => {
        if (type !== 'tree') throw new Error(`${oid} is a ${type}, not a tree`);
        return parseTree(body, this.format);
      });
      // A failed read is not kept.
      entries.catch(() => this.trees.delete(oid));
      this.trees.set(oid, entries);
    }
    return entries;
  }

  /** The tree a commit records. */
  async treeOf(commit: string): Promise<string> {
    const { type, body } = await this.read(commit);
    const match = /^tree ([0-9a-f]+)\n/.exec(body.toString('latin1'));
    if (type !== 'commit' || !match) throw new Error(`${commit} is not a commit`);
    return match[1];
  }

  /**
   * The entry at `parts` under tree `root`, if there is one; a submodule on the way is answered
   * instead, since what lies below it is the submodule's.
   */
  async entry(root: string, parts: readonly string[]): Promise<TreeEntry | undefined> {
    let tree = root;
    for (let i = 0; i < parts.length; i++) {
      const found = (await this.tree(tree)).find((e) => e.name === parts[i]);
      if (!found || i === parts.length - 1 || found.mode === SUBMODULE_MODE) return found;
      if (found.mode !== TREE_MODE) return undefined;
      tree = found.oid;
    }
    return undefined;
  }

  /**
   * Tree `root` with the changes made (paths as latin1 parts), written as new trees; only the
   * trees on the changed paths are read and written. Answers the new root tree's id.
   */
  async edit(
    root: string,
    changes: ReadonlyArray<readonly [readonly string[], PathChange]>,
    objects: LooseObjects,
  ): Promise<string> {
    return (await this.editTree(root, changes, objects)) ?? objects.write('tree', Buffer.alloc(0));
  }

  private async editTree(
    oid: string | undefined,
    changes: ReadonlyArray<readonly [readonly string[], PathChange]>,
    objects: LooseObjects,
  ): Promise<string | undefined> {
    const entries = new Map((oid ? await this.tree(oid) : []).map((e) => [e.name, e]));
    const nested = new Map<string, Array<readonly [readonly string[], PathChange]>>();
    for (const [parts, change] of changes) {
      const [name, ...rest] = parts;
      if (rest.length > 0) {
        const list = nested.get(name) ?? [];
        list.push([rest, change]);
        nested.set(name, list);
      } else if (change) entries.set(name, { name, ...change });
      else entries.delete(name);
    }
    for (const [name, inner] of nested) {
      const existing = entries.get(name);
      if (existing?.mode === SUBMODULE_MODE) throw new NotPlain(`a path inside submodule ${name}`);
      const isTree = existing?.mode === TREE_MODE;
      // Removing files under what the tree has as a file leaves that file be.
      if (existing && !isTree && inner.every(([, change]) => change === null)) continue;
      const sub = await this.editTree(isTree ? existing.oid : undefined, inner, objects);
      if (sub) entries.set(name, { name, mode: TREE_MODE, oid: sub });
      else entries.delete(name);
    }
    // Git keeps no empty trees: a directory left empty goes.
    if (entries.size === 0) return undefined;
    return objects.write('tree', serializeTree([...entries.values()]));
  }
}

/** `cat-file --batch` answers `<oid> <type> <size>\n<body>\n`, or `<name> missing\n`. */
function catFileAnswer(output: Buffer): number | undefined {
  const newline = output.indexOf(0x0a);
  if (newline < 0) return undefined;
  const header = output.toString('latin1', 0, newline).split(' ');
  if (header.length < 3) return newline + 1;
  const end = newline + 1 + Number(header[2]) + 1;
  return output.length >= end ? end : undefined;
}
