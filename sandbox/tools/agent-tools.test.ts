import * as assert from 'node:assert/strict';
import { FakeSandbox } from '../../test/support/fake-sandbox';
import { agentTools, functionToolDefinition, runToolCall } from './index';

describe('agent tools', () => {
  it('has the eight tools, each with a description and an object schema', () => {
    assert.deepEqual(
      agentTools.map((tool) => tool.name),
      [
        'read_file',
        'list_dir',
        'find_files',
        'grep',
        'edit_file',
        'create_file',
        'run_command',
        'git_diff',
      ],
    );
    for (const tool of agentTools) {
      const definition = functionToolDefinition(tool);
      assert.equal(definition.type, 'function');
      assert.equal(definition.function.name, tool.name);
      assert.ok(tool.description.length > 40, tool.name);
      assert.equal(definition.function.parameters.type, 'object', tool.name);
    }
  });

  it('describes parameters for the model, optional ones not required', () => {
    const { parameters } = functionToolDefinition(
      agentTools.find((tool) => tool.name === 'edit_file')!,
    ).function;
    const properties = parameters.properties as Record<string, { description?: string }>;
    assert.deepEqual(Object.keys(properties), ['path', 'old_text', 'new_text', 'replace_all']);
    assert.deepEqual(parameters.required, ['path', 'old_text', 'new_text']);
    assert.match(properties.old_text.description ?? '', /copied exactly/);
  });

  describe('running a call of the model', () => {
    let sandbox: FakeSandbox;
    before(async () => {
      sandbox = await FakeSandbox.create({ 'a.txt': 'hello\n' });
    });
    after(() => sandbox.dispose());

    const cases: [string, { name: string; arguments: string }, string | RegExp][] = [
      [
        'a valid call',
        { name: 'read_file', arguments: '{"path":"a.txt"}' },
        'a.txt (1 line)\n1\thello',
      ],
      ['no arguments at all', { name: 'git_diff', arguments: '' }, /^No changes/],
      [
        'an unknown tool',
        { name: 'delete_repo', arguments: '{}' },
        'Error: there is no tool named delete_repo. Available tools: read_file, list_dir, find_files, grep, edit_file, create_file, run_command, git_diff.',
      ],
      [
        'malformed JSON',
        { name: 'read_file', arguments: '{"path":' },
        /^Error: the arguments of read_file are not valid JSON \(.+\)\. Send one JSON object/,
      ],
      [
        'arguments of the wrong type',
        { name: 'read_file', arguments: '{"path": 3}' },
        'Error: invalid arguments for read_file: ✖ Invalid input: expected string, received number\n  → at path',
      ],
    ];
    for (const [name, call, expected] of cases) {
      it(name, async () => {
        const text = await runToolCall(agentTools, call, { sandbox });
        if (typeof expected === 'string') assert.equal(text, expected);
        else assert.match(text, expected);
      });
    }
  });
});
