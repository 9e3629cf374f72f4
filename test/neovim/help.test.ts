import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/temp-dir';

const DOC = path.resolve(__dirname, '..', '..', 'clients', 'neovim', 'doc', 'tandem.txt');

describe('Neovim plugin help (:help tandem)', () => {
  it(':helptags runs clean, and every |link| in it leads to a tag', () => {
    const tmp = tempDir();
    try {
      fs.copyFileSync(DOC, path.join(tmp.dir, 'tandem.txt'));
      const run = spawnSync(
        process.env.TANDEM_NVIM ?? 'nvim',
        [
          '--headless',
          '-u',
          'NONE',
          '-i',
          'NONE',
          '-c',
          `try | helptags ${tmp.dir} | catch | echoerr v:exception | cquit 1 | endtry`,
          '-c',
          'qa!',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr.trim(), '');
      const tags = new Set(
        fs
          .readFileSync(path.join(tmp.dir, 'tags'), 'utf8')
          .split('\n')
          .map((l) => l.split('\t')[0]),
      );
      const text = fs.readFileSync(DOC, 'utf8');
      for (const tag of [
        'tandem.txt',
        'tandem-setup',
        'tandem-commands',
        'tandem-options',
        'tandem-highlights',
        'tandem-statusline',
      ]) {
        assert.ok(tags.has(tag), `missing *${tag}*`);
      }
      const links = [...text.matchAll(/\|(tandem[^|\s]*|:Tandem[^|\s]*)\|/g)].map((m) => m[1]);
      assert.ok(links.length > 10);
      for (const link of links) assert.ok(tags.has(link), `|${link}| has no tag`);
    } finally {
      tmp.cleanup();
    }
  });
});
