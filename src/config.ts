import express from 'express';
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// MessageBird accepts an alphanumeric sender of at most 11 characters, or a phone number.
// https://developers.messagebird.com/api/sms-messaging/#send-outbound-sms
const originator = z
  .string()
  .trim()
  .refine((value) => /^[A-Za-z0-9]{1,11}$/.test(value) || /^\+?[1-9][0-9]{6,14}$/.test(value), {
    message: 'must be at most 11 letters and digits, or a phone number such as +31612345678',
  });

// Express's "trust proxy": false, true, a hop count, or addresses/subnets such as "loopback, 10.0.0.0/8".
// Express itself decides which address lists it accepts, so a typo stops start-up here, naming the
// variable, instead of crashing inside Express.
const acceptedByExpress = (value: boolean | number | string) => {
  try {
    express().set('trust proxy', value);
    return true;
  } catch {
    return false;
  }
};
const trustProxy = z.string().trim().transform((value): boolean | number | string => {
  if (/^false$/i.test(value)) return false;
  if (/^true$/i.test(value)) return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}).or(z.boolean()).refine(acceptedByExpress, {
  message: 'must be true, false, a hop count, or addresses/subnets such as "loopback, 10.0.0.0/8"',
});

const flag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true');

// An IANA zone name such as Europe/Amsterdam, as Intl knows it; stored in its canonical spelling.
const timeZone = z.string().trim().transform((value, context) => {
  try {
    if (/^[+-]/.test(value)) throw new RangeError('an offset is not a zone');
    return new Intl.DateTimeFormat('en-GB', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    context.addIssue({ code: 'custom', message: 'must be an IANA time zone name such as Europe/Amsterdam' });
    return z.NEVER;
  }
});

export const usernamePattern = /^[A-Za-z0-9._-]{3,32}$/;
export const usernameRule = 'must be 3 to 32 letters, digits, dots, dashes or underscores';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.preprocess(emptyAsUndefined, z.string().optional()),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_PATH: z.string().min(1).default('./data/orders.db'),
  // postgres://user:password@host:port/database switches to PostgreSQL (several instances, one database).
  DATABASE_URL: z.preprocess(emptyAsUndefined, z.string().regex(/^postgres(?:ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional()),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  MESSAGEBIRD_API_KEY: z.preprocess(emptyAsUndefined, z.string().regex(/^[A-Za-z0-9_]+$/, 'must be a MessageBird access key (letters, digits and underscores)').optional()),
  MESSAGEBIRD_ORIGINATOR: originator.default('OmNomNom'),
  MESSAGEBIRD_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(5000),
  MESSAGEBIRD_SIGNING_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  // Part of the inbound webhook's address, so URL-safe characters only.
  INBOUND_WEBHOOK_TOKEN: z.preprocess(emptyAsUndefined, z.string()
    .min(32, 'must be at least 32 characters (e.g. openssl rand -hex 24)')
    .regex(/^[A-Za-z0-9._~-]+$/, 'must be letters, digits, dots, dashes, underscores or tildes only (it is part of a URL)')
    .optional()),
  PUBLIC_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/, error: 'must be the http(s) address the app is reached at, e.g. https://orders.example.com' }).optional()),
  SMS_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(4),
  SMS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  SMS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  SMS_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(600_000),
  SMS_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  SMS_CHECK_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  NOTIFY_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
  SESSION_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional()),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(240),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(7 * 24).default(16),
  LATE_AFTER_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  DONE_VISIBLE_MINUTES: z.coerce.number().int().min(0).max(24 * 60).default(10),
  TRUST_PROXY: z.preprocess(emptyAsUndefined, trustProxy.default(false)),
  // Docker images run in UTC; a kitchen does not. Default: the server's own zone.
  TIME_ZONE: z.preprocess(emptyAsUndefined, timeZone.default(() => Intl.DateTimeFormat().resolvedOptions().timeZone)),
  ADMIN_USERNAME: z.preprocess(emptyAsUndefined, z.string().regex(usernamePattern, usernameRule).optional()),
  ADMIN_PASSWORD: z.preprocess(emptyAsUndefined, z.string().optional()),
  SHOW_ERROR_DETAILS: z.preprocess(emptyAsUndefined, flag.default(false)),
  DEFAULT_COUNTRY: z.string().trim().toUpperCase()
    .refine((value) => isSupportedCountry(value), 'must be a two-letter ISO country code, such as NL, BE, DE or GB')
    .transform((value) => value as CountryCode)
    .default('NL'),
  RESTAURANT_NAME: z.preprocess(emptyAsUndefined, z.string().trim().min(1).max(60, 'must be at most 60 characters').default('OmNomNom Foods')),
  // Read with DEFAULT_COUNTRY below (a national number is the kitchen's country's).
  RESTAURANT_PHONE: z.preprocess(emptyAsUndefined, z.string().trim().max(40).optional()),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  host: string | undefined;
  port: number;
  databasePath: string;
  /** PostgreSQL instead of SQLite at databasePath, when set. */
  databaseUrl: string | undefined;
  /** Connections each instance keeps to PostgreSQL. */
  databasePoolSize: number;
  logLevel: (typeof logLevels)[number];
  messagebird: {
    apiKey: string | undefined;
    originator: string;
    timeoutMs: number;
    signingKey: string | undefined;
    /** The secret part of the inbound (STOP/START) webhook's address; without it the route answers 404. */
    inboundWebhookToken: string | undefined;
  };
  publicUrl: string | undefined;
  outbox: { concurrency: number; maxAttempts: number; retryBaseMs: number; retryMaxMs: number; leaseMs: number; checkGraceMs: number; notifyWaitMs: number };
  session: { secret: string | undefined; idleMinutes: number; maxHours: number };
  board: { lateAfterMinutes: number; doneVisibleMinutes: number };
  trustProxy: boolean | number | string;
  /** The zone every time is shown in. */
  timeZone: string;
  firstAdmin: { username: string; password: string } | undefined;
  /** Stack traces on 500 pages: only when the operator asks for them. */
  showErrorDetails: boolean;
  /** Country whose national phone formats are read, e.g. 06 12345678 for NL. */
  defaultCountry: CountryCode;
  api: { rateLimitPerMinute: number };
  /** The restaurant's name as customers know it: {restaurant} in the texts. */
  restaurantName: string;
  /** The number customers call with questions, shown on their tracking page: E.164, and as people read it. */
  restaurantPhone: { e164: string; display: string } | undefined;
};

export class ConfigError extends Error {}

/** Parses the environment into one typed object; any bad value throws a ConfigError naming each variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const values = parsed.data;
  if (Boolean(values.ADMIN_USERNAME) !== Boolean(values.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration:\n  ADMIN_USERNAME, ADMIN_PASSWORD: set both or neither');
  }
  if (values.PUBLIC_URL && !values.MESSAGEBIRD_SIGNING_KEY) {
    // Reports would be asked for and every one of them refused.
    throw new ConfigError('Invalid configuration:\n  PUBLIC_URL, MESSAGEBIRD_SIGNING_KEY: PUBLIC_URL asks MessageBird for delivery reports, which are only accepted with MESSAGEBIRD_SIGNING_KEY set; set both or neither');
  }
  return {
    env: values.NODE_ENV,
    host: values.HOST,
    port: values.PORT,
    databasePath: values.DATABASE_PATH,
    databaseUrl: values.DATABASE_URL,
    databasePoolSize: values.DATABASE_POOL_SIZE,
    logLevel: values.LOG_LEVEL,
    messagebird: {
      apiKey: values.MESSAGEBIRD_API_KEY,
      originator: values.MESSAGEBIRD_ORIGINATOR,
      timeoutMs: values.MESSAGEBIRD_TIMEOUT_MS,
      signingKey: values.MESSAGEBIRD_SIGNING_KEY,
      inboundWebhookToken: values.INBOUND_WEBHOOK_TOKEN,
    },
    publicUrl: values.PUBLIC_URL,
    outbox: {
      concurrency: values.SMS_CONCURRENCY,
      maxAttempts: values.SMS_MAX_ATTEMPTS,
      retryBaseMs: values.SMS_RETRY_BASE_MS,
      retryMaxMs: values.SMS_RETRY_MAX_MS,
      leaseMs: values.SMS_LEASE_MS,
      checkGraceMs: values.SMS_CHECK_GRACE_MS,
      notifyWaitMs: values.NOTIFY_WAIT_MS,
    },
    session: { secret: values.SESSION_SECRET, idleMinutes: values.SESSION_IDLE_MINUTES, maxHours: values.SESSION_MAX_HOURS },
    board: { lateAfterMinutes: values.LATE_AFTER_MINUTES, doneVisibleMinutes: values.DONE_VISIBLE_MINUTES },
    trustProxy: values.TRUST_PROXY,
    timeZone: values.TIME_ZONE,
    firstAdmin: values.ADMIN_USERNAME && values.ADMIN_PASSWORD
      ? { username: values.ADMIN_USERNAME, password: values.ADMIN_PASSWORD }
      : undefined,
    showErrorDetails: values.SHOW_ERROR_DETAILS,
    defaultCountry: values.DEFAULT_COUNTRY,
    api: { rateLimitPerMinute: values.API_RATE_LIMIT_PER_MINUTE },
    restaurantName: values.RESTAURANT_NAME,
    restaurantPhone: values.RESTAURANT_PHONE === undefined ? undefined : restaurantPhone(values.RESTAURANT_PHONE, values.DEFAULT_COUNTRY),
  };
}

/** The restaurant's own number, any kind (a landline is fine: customers call it). */
function restaurantPhone(typed: string, defaultCountry: CountryCode): { e164: string; display: string } {
  const number = parsePhoneNumberFromString(typed, { defaultCountry, extract: false });
  if (!number || !number.isValid()) {
    throw new ConfigError(`Invalid configuration:\n  RESTAURANT_PHONE: must be a valid phone number, international (+31 20 123 4567) or national for DEFAULT_COUNTRY (${defaultCountry})`);
  }
  return { e164: number.number, display: number.formatInternational() };
}

/** For the server and the commands: the config, or the message naming the bad variable and exit 1 (no stack). */
export function loadConfigOrExit(env: Record<string, string | undefined>): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
