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

  it("gives each account a quarter of the queue with accounts on, and the one local owner all of it", () => {
    expect(load({ DARKROOM_AUTH: 'on' })).toMatchObject({ queueLimit: 100, queueLimitPerAccount: 25 });
    expect(load({ DARKROOM_AUTH: 'on', DARKROOM_QUEUE_LIMIT: '2' }).queueLimitPerAccount).toBe(1);
    expect(load({})).toMatchObject({ queueLimit: 100, queueLimitPerAccount: 100 });
    expect(load({ DARKROOM_AUTH: 'on', DARKROOM_QUEUE_LIMIT_PER_ACCOUNT: '60' }).queueLimitPerAccount).toBe(60);
    expect(() => load({ DARKROOM_QUEUE_LIMIT_PER_ACCOUNT: '0' })).toThrow(/DARKROOM_QUEUE_LIMIT_PER_ACCOUNT to be an integer from 1/);
  });

  it('reads DARKROOM_ALLOWED_ORIGINS as origins, and refuses anything more than an origin', () => {
    expect(load({}).allowedOrigins).toEqual([]);
    expect(load({ DARKROOM_ALLOWED_ORIGINS: 'https://Studio.Example.com, http://192.168.1.5:8080/' }).allowedOrigins).toEqual(['https://studio.example.com', 'http://192.168.1.5:8080']);
    for (const value of ['studio.example.com', 'localhost:5173', 'https://studio.example.com/app', 'ftp://files.example.com', 'https://*.example.com']) {
      expect(() => load({ DARKROOM_ALLOWED_ORIGINS: value }), value).toThrow(/DARKROOM_ALLOWED_ORIGINS to be origins/);
    }
  });

  it('refuses a sign-up setting it does not know', () => {
    expect(load({ DARKROOM_SIGNUP: 'Open' }).signupOpen).toBe(true);
    expect(() => load({ DARKROOM_SIGNUP: 'yes' })).toThrow(/DARKROOM_SIGNUP to be open or closed/);
  });

  it.each(['DARKROOM_DATABASE_URL', 'DARKROOM_REDIS_URL', 'DARKROOM_S3_BUCKET', 'DARKROOM_S3_ENDPOINT'])('refuses %s, which is not built yet', (name) => {
    expect(() => load({ [name]: 'postgres://db/darkroom' })).toThrow(new RegExp(`${name} is not supported yet`));
  });
});
