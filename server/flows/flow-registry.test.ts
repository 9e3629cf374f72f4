import * as assert from 'node:assert/strict';
import { AVAILABLE_FLOWS } from './available-flows';
import { FlowRegistry } from './flow-registry';

describe('flow registry', () => {
  it('announces in initialize exactly the flows it runs', () => {
    assert.deepEqual(
      new FlowRegistry()
        .all()
        .map((f) => f.id)
        .sort(),
      [...AVAILABLE_FLOWS].sort(),
    );
  });
});
