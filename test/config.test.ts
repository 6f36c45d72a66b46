import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('gives working defaults with an empty environment', () => {
    expect(loadConfig({})).toEqual({
      env: 'development',
      host: undefined,
      port: 3000,
      databasePath: './data/orders.db',
      logLevel: 'info',
      messagebird: { apiKey: undefined, originator: 'OmNomNom', timeoutMs: 5000, signingKey: undefined },
      publicUrl: undefined,
      outbox: { concurrency: 4, maxAttempts: 8, retryBaseMs: 5000, retryMaxMs: 600_000, notifyWaitMs: 3000 },
      session: { secret: undefined, idleMinutes: 240, maxHours: 16 },
      trustProxy: false,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      firstAdmin: undefined,
    });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', 1],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('reads TRUST_PROXY %j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('takes the first admin only with both username and password', () => {
    expect(loadConfig({ ADMIN_USERNAME: 'chef', ADMIN_PASSWORD: 'x' }).firstAdmin).toEqual({ username: 'chef', password: 'x' });
    expect(() => loadConfig({ ADMIN_USERNAME: 'chef' })).toThrow(/ADMIN_USERNAME, ADMIN_PASSWORD: set both or neither/);
  });

  it('treats an empty API key as none', () => {
    expect(loadConfig({ MESSAGEBIRD_API_KEY: '' }).messagebird.apiKey).toBeUndefined();
  });

  it.each(['OmNomNom', 'Kitchen1', '+31612345678', '31612345678'])('accepts the originator %s', (value) => {
    expect(loadConfig({ MESSAGEBIRD_ORIGINATOR: value }).messagebird.originator).toBe(value);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['MESSAGEBIRD_ORIGINATOR', 'OmNomNomFoods'],
    ['MESSAGEBIRD_ORIGINATOR', 'Om Nom'],
    ['MESSAGEBIRD_API_KEY', 'key with spaces'],
    ['MESSAGEBIRD_TIMEOUT_MS', '10'],
    ['SESSION_SECRET', 'too-short'],
    ['PUBLIC_URL', 'orders.example.com'],
    ['PUBLIC_URL', 'ftp://orders.example.com'],
    ['SMS_CONCURRENCY', '0'],
    ['SESSION_IDLE_MINUTES', '0'],
    ['SESSION_MAX_HOURS', 'forever'],
    ['ADMIN_USERNAME', 'a b'],
  ])('stops with a message naming %s when it is %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration:\\n  ${name}: `));
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT:[\s\S]*LOG_LEVEL:/);
  });
});
