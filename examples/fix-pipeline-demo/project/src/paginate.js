'use strict';

/**
 * Splits `items` into pages of `size` and returns page `page` (1-based) with paging info.
 */
function paginate(items, page, size) {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a positive integer');
  const pages = Math.floor(items.length / size);
  const start = (page - 1) * size;
  return {
    items: items.slice(start, start + size),
    page,
    pages,
    hasNext: page < pages,
  };
}

module.exports = { paginate };
