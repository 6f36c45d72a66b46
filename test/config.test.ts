import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('gives working defaults with an empty environment', () => {
    expect(loadConfig({})).toEqual({
      env: 'development',
      host: undefined,
      port: 3000,
      databasePath: './data/orders.db',
      databaseUrl: undefined,
      databasePoolSize: 10,
      logLevel: 'info',
      messagebird: { apiKey: undefined, originator: 'OmNomNom', timeoutMs: 5000, signingKey: undefined },
      publicUrl: undefined,
      outbox: { concurrency: 4, maxAttempts: 8, retryBaseMs: 5000, retryMaxMs: 600_000, leaseMs: 30_000, checkGraceMs: 60_000, notifyWaitMs: 3000 },
      session: { secret: undefined, idleMinutes: 240, maxHours: 16 },
      board: { lateAfterMinutes: 30, doneVisibleMinutes: 10 },
      trustProxy: false,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      firstAdmin: undefined,
      showErrorDetails: false,
      defaultCountry: 'NL',
      api: { rateLimitPerMinute: 60 },
      restaurantName: 'OmNomNom Foods',
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
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

  it('reads DEFAULT_COUNTRY as an ISO code, in any case', () => {
    expect(loadConfig({ DEFAULT_COUNTRY: 'be' }).defaultCountry).toBe('BE');
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
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', 'loopback, 10.0.0.300/8'],
    ['SHOW_ERROR_DETAILS', 'yes'],
    ['DEFAULT_COUNTRY', 'Netherlands'],
    ['DEFAULT_COUNTRY', 'XX'],
    ['API_RATE_LIMIT_PER_MINUTE', '0'],
  ])('stops with a message naming %s when it is %j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration:\\n  ${name}: `));
  });

  it('refuses PUBLIC_URL without MESSAGEBIRD_SIGNING_KEY, naming both, since every report would be refused', () => {
    expect(() => loadConfig({ PUBLIC_URL: 'https://orders.example.com' })).toThrow(/PUBLIC_URL, MESSAGEBIRD_SIGNING_KEY: /);
    expect(loadConfig({ PUBLIC_URL: 'https://orders.example.com', MESSAGEBIRD_SIGNING_KEY: 'key' }).publicUrl).toBe('https://orders.example.com');
  });

  it('shows error details only when SHOW_ERROR_DETAILS is true, whatever NODE_ENV says', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).showErrorDetails).toBe(false);
    expect(loadConfig({ SHOW_ERROR_DETAILS: 'true' }).showErrorDetails).toBe(true);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT:[\s\S]*LOG_LEVEL:/);
  });
});
