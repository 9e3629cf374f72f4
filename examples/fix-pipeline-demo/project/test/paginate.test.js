'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { paginate } = require('../src/paginate');

const letters = ['a', 'b', 'c', 'd', 'e'];

test('first page', () => {
  assert.deepEqual(paginate(letters, 1, 2), {
    items: ['a', 'b'],
    page: 1,
    pages: 3,
    hasNext: true,
  });
});

test('last, partial page', () => {
  assert.deepEqual(paginate(letters, 3, 2), { items: ['e'], page: 3, pages: 3, hasNext: false });
});

test('exact multiple', () => {
  assert.deepEqual(paginate(letters.slice(0, 4), 2, 2), {
    items: ['c', 'd'],
    page: 2,
    pages: 2,
    hasNext: false,
  });
});

test('rejects a zero page size', () => {
  assert.throws(() => paginate(letters, 1, 0), RangeError);
});
