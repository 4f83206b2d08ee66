// Settings from the environment: defaults, values that depend on each other, and a clear
// refusal for anything that would otherwise be silently misread.

import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const load = (env: NodeJS.ProcessEnv) => loadConfig({ DARKROOM_DATA_DIR: '/tmp/darkroom-config-test', ...env }, '/');

describe('loadConfig', () => {
  it('serves the local owner on loopback by default, every 15 minutes purging', () => {
    expect(load({})).toMatchObject({ host: '127.0.0.1', port: 7860, auth: false, signupOpen: false, purgeIntervalMs: 15 * 60_000, publicUrl: 'http://127.0.0.1:7860' });
  });

  it('turns accounts on by default on an address others can reach', () => {
    expect(load({ DARKROOM_HOST: '0.0.0.0' }).auth).toBe(true);
    expect(load({ DARKROOM_HOST: '::1' }).auth).toBe(false);
    expect(load({ DARKROOM_HOST: '0.0.0.0', DARKROOM_AUTH: 'off' }).auth).toBe(false);
  });

  it.each(['0s', '30d', 'forever', 'soon'])('refuses a purge interval of %s', (value) => {
    expect(() => load({ DARKROOM_PURGE_INTERVAL: value })).toThrow(/DARKROOM_PURGE_INTERVAL/);
  });

  it('refuses a sign-up setting it does not know', () => {
    expect(load({ DARKROOM_SIGNUP: 'Open' }).signupOpen).toBe(true);
    expect(() => load({ DARKROOM_SIGNUP: 'yes' })).toThrow(/DARKROOM_SIGNUP to be open or closed/);
  });

  it.each(['DARKROOM_DATABASE_URL', 'DARKROOM_REDIS_URL', 'DARKROOM_S3_BUCKET', 'DARKROOM_S3_ENDPOINT'])('refuses %s, which is not built yet', (name) => {
    expect(() => load({ [name]: 'postgres://db/darkroom' })).toThrow(new RegExp(`${name} is not supported yet`));
  });
});
