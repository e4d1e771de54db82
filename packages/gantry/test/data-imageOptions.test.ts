import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveTrainConfig } from 'gantry-core/config.js';
import { parseBackground } from 'gantry-core/data/imageOptions.js';
import { assertUsageError } from './dataFixtures.js';

test('image options: defaults, then the config file, then flags; recorded as dataOptions', () => {
  assert.deepEqual(resolveTrainConfig({}, { preset: 'dcgan64' }).dataOptions, { resize: 'crop', background: 'white', flip: false, strict: false });
  const c = resolveTrainConfig({ dataOptions: { resize: 'stretch', background: '#102030' } }, { preset: 'dcgan64', dataOptions: { resize: 'pad', flip: true, strict: undefined } });
  assert.deepEqual(c.dataOptions, { resize: 'pad', background: '#102030', flip: true, strict: false });
  assert.equal(c.data, 'emoji');
});

test('image options: bad values are refused with a sentence that says what is accepted', async () => {
  await assertUsageError(async () => resolveTrainConfig({}, { preset: 'dcgan64', dataOptions: { background: 'mauve-ish' } }), /background 'mauve-ish' is not a colour; use #rrggbb, #rgb or one of white/);
  await assertUsageError(async () => resolveTrainConfig({ dataOptions: { resize: 'zoom' } }, {}), /dataOptions.resize must be one of crop, pad, stretch/);
  await assertUsageError(async () => resolveTrainConfig({ dataOptions: { mirror: true } }, {}), /dataOptions has unknown key 'mirror'/);
  await assertUsageError(async () => resolveTrainConfig({ dataOptions: 'crop' }, {}), /dataOptions must be an object/);
  assert.deepEqual(parseBackground('#fff'), [255, 255, 255]);
  assert.deepEqual(parseBackground('0a0B0c'), [10, 11, 12]);
  assert.deepEqual(parseBackground('Black'), [0, 0, 0]);
});
