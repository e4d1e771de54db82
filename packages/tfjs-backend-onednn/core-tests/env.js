// First module of the bundle that runs tfjs-core's own op tests on the onednn backend:
// registers the backend and makes it the only test environment, before any test file loads.
import { setTestEnvs } from '@tensorflow/tfjs-core/dist/jasmine_util';
import { registerOnednnBackend } from '../dist/src/index.js';

if (!registerOnednnBackend()) throw new Error('the onednn backend did not register (is the addon built?)');
setTestEnvs([{ name: 'onednn', backendName: 'onednn', flags: {}, isDataSync: true }]);
