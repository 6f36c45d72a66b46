import { pino } from 'pino';
import type { Logger } from 'pino';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { afterEach } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { AppDeps } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Config } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import type { SqliteDatabase } from '../../src/db/sqlite.ts';
import type { LookupOutcome, LookupQuery, SendOutcome, SmsMessage, SmsSender } from '../../src/notifications/sms-sender.ts';
import { createOrderRepository } from '../../src/orders/order-repository.ts';
import { newOrderId } from '../../src/orders/order-id.ts';
import { createServices } from '../../src/services.ts';
import type { NewOrder } from '../../src/orders/order-repository.ts';
import type { ThrottleLimits } from '../../src/staff/login-throttle.ts';
import { createPasswordHasher } from '../../src/staff/passwords.ts';
import type { TestEngine } from './engines.ts';
import { createStaffRepository } from '../../src/staff/staff-repository.ts';
import type { StaffRole } from '../../src/staff/staff-repository.ts';

/** A sender that records what it was asked to send and look up; each test scripts its answers. */
export class FakeSmsSender implements SmsSender {
  readonly sent: SmsMessage[] = [];
  readonly lookups: LookupQuery[] = [];
  next: (message: SmsMessage) => Promise<SendOutcome> = async () => ({ kind: 'accepted', providerMessageId: `mb-${this.sent.length}` });
  nextLookup: (query: LookupQuery) => Promise<LookupOutcome> = async () => ({ kind: 'not-found' });

  async send(message: SmsMessage): Promise<SendOutcome> {
    this.sent.push(message);
    return this.next(message);
  }

  async lookup(query: LookupQuery): Promise<LookupOutcome> {
    this.lookups.push(query);
    return this.nextLookup(query);
  }
}

// Every test app is closed after its test: dispatcher stopped, database closed.
const openApps: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of openApps.splice(0)) await close();
});

/** A repeatable stand-in for Math.random (mulberry32), so backoff waits are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent', ...overrides });
}

// A cheap scrypt cost keeps hundreds of sign-ins per test file fast; production uses 2^15.
export const testPasswords = createPasswordHasher({ logN: 8 });
export const testPassword = 'correct horse battery staple';

type TestAppOptions = { sender?: SmsSender; config?: Config; throttleLimits?: ThrottleLimits; logger?: Logger; databasePath?: string; heartbeatMs?: number; webhookSender?: AppDeps['webhookSender'] };
type TestApp<D extends Database> = Omit<Awaited<ReturnType<typeof openTestApp>>, 'database'> & { database: D };

/**
 * A fresh database and app for one test. Without `engine`: SQLite in memory (or the given file),
 * and `database` is the SQLite one, for tests that need its own connection. With `engine` (from
 * describeEngines): that engine's database — on PostgreSQL a fresh schema, dropped after the test —
 * and `database` is the engine-neutral contract. Call it inside a test.
 */
export async function createTestApp(options: TestAppOptions & { engine: TestEngine }): Promise<TestApp<Database>>;
export async function createTestApp(options?: TestAppOptions & { engine?: undefined }): Promise<TestApp<SqliteDatabase>>;
export async function createTestApp(options: TestAppOptions & { engine?: TestEngine } = {}) {
  // SQLite opens as without an engine; a config that names a database (two apps on one) is kept.
  if (options.engine?.name !== 'postgres' || options.config?.databaseUrl) return openTestApp(options);
  // The app opens the database itself, as in production: point its config at the test's schema.
  // Imported here, not above: engines.ts warns (or, on CI, throws) without TEST_DATABASE_URL, which
  // concerns only the suites over both engines, not every suite that imports these helpers.
  const { createTestLocation } = await import('./engines.ts');
  const { location } = await createTestLocation(options.engine);
  if (!('url' in location)) throw new Error('a PostgreSQL test location has a URL');
  const config = options.config ?? testConfig();
  return openTestApp({ ...options, config: { ...config, databaseUrl: location.url } });
}

async function openTestApp(options: TestAppOptions) {
  const config = options.config ?? testConfig(options.databasePath ? { DATABASE_PATH: options.databasePath } : {});
  const logger = options.logger ?? pino({ level: 'silent' });
  const services = await createServices(config, { logger, sender: options.sender ?? new FakeSmsSender(), random: seededRandom(1) });
  openApps.push(() => services.close(1000));
  const { messages, dispatcher, sender } = services;
  // Without an engine the tests run on SQLite: those that need its own connection (pragmas, query
  // plans, seeding) take database.sqlite. createTestApp types it for the engine it opened.
  const database = services.database as SqliteDatabase;
  dispatcher.start();
  const app = await createApp({ config, database, dispatcher, logger, passwords: testPasswords, throttleLimits: options.throttleLimits, heartbeatMs: options.heartbeatMs, webhookSender: options.webhookSender });
  const orders = createOrderRepository(database);
  const staff = createStaffRepository(database);

  async function addAccount(username: string, role: StaffRole = 'staff', password = testPassword) {
    return (await staff.create({ username, role, passwordHash: await testPasswords.hash(password) }))!;
  }

  /** Creates an account (unless it exists) and returns a client signed in as it. */
  async function signIn(username = 'cook', role: StaffRole = 'staff') {
    const account = (await staff.findForLogin(username)) ?? (await addAccount(username, role));
    const client = new TestClient(supertest.agent(app));
    await client.refreshToken('/login');
    await client.post('/login').send({ username, password: testPassword }).expect(303);
    await client.refreshToken('/');
    return Object.assign(client, { account });
  }

  return { app, database, orders, messages, staff, sender, dispatcher, config, addAccount, signIn, anonymous: () => new TestClient(supertest.agent(app)) };
}

/** A logger whose JSON lines the test can read: `lines` as parsed objects, `text` as written. */
export function captureLogs() {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      callback();
    },
  });
  return {
    logger: pino({ level: 'trace' }, stream),
    text: () => written.join(''),
    lines: () => written.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** A browser-like client: keeps its cookie and sends the page's CSRF token with every form. */
export class TestClient {
  readonly agent: ReturnType<typeof supertest.agent>;
  token = '';

  constructor(agent: ReturnType<typeof supertest.agent>) {
    this.agent = agent;
  }

  async refreshToken(path: string) {
    const page = await this.agent.get(path);
    this.token = csrfTokenIn(page.text);
    return page;
  }

  get(path: string) {
    return this.agent.get(path);
  }

  /** A form post carrying the CSRF token; further .send() fields are merged in. */
  post(path: string) {
    return this.agent.post(path).type('form').send({ _csrf: this.token });
  }
}

export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1]!;
}

/** A valid order id (32 lowercase hex digits) named by a readable label, the same for the same label. */
export function orderIdFor(label: string): string {
  return createHash('md5').update(label).digest('hex');
}

export function makeOrder(overrides: Partial<NewOrder> = {}): NewOrder {
  return {
    id: newOrderId(),
    customerName: 'Hannah Hungry',
    phone: '+14127267380',
    items: '1 x Hipster Burger, Fries',
    status: 'pending',
    ...overrides,
  };
}
