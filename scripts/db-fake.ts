// Fills the database (SQLite at DATABASE_PATH, or PostgreSQL at DATABASE_URL) with a realistic history of orders, for trying the board and
// for benchmarks: `npm run db:fake -- --orders 100000 [--days 365] [--active 12] [--force]`.
// Most orders are delivered (a few cancelled), spread over many days; a handful from the last hour are still active.
import 'dotenv/config';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../src/config.ts';
import { createZonedCalendar } from '../src/web/zoned-days.ts';
import { openSqlite } from '../src/db/sqlite.ts';
import { openDatabase } from '../src/db/database.ts';
import { defaultTemplates, renderTemplate } from '../src/notifications/message-templates.ts';
import { isOrderId } from '../src/orders/order-id.ts';
import type { OrderStatus } from '../src/orders/order-status.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '10000' },
    days: { type: 'string' },
    active: { type: 'string', default: '12' },
    force: { type: 'boolean', default: false },
  },
});

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a whole number, got "${text}"`);
    process.exit(1);
  }
  return value;
}

const total = positiveInteger('orders', values.orders);
const active = Math.min(total, positiveInteger('active', values.active));
// About 300 orders a day unless told otherwise.
const days = values.days === undefined ? Math.max(1, Math.ceil(total / 300)) : Math.max(1, positiveInteger('days', values.days));

const config = loadConfigOrExit(process.env);
const target = config.databaseUrl ? 'the PostgreSQL database at DATABASE_URL' : config.databasePath;

const firstNames = ['Ada', 'Bram', 'Chloé', 'Daan', 'Emma', 'Finn', 'Grace', 'Hugo', 'Iris', 'Jens', 'Kiki', 'Lars', 'Mila', 'Noah', 'Olivia', 'Pieter', 'Quinn', 'Rosa', 'Sem', 'Tess', 'Umar', 'Vera', 'Wout', 'Xena', 'Yara', 'Zoë', 'Hannah', 'Mike', 'Don', 'Fatima', 'Mohammed', 'Sofia', 'Lucas', 'Julia', 'Milan', 'Sara'];
const lastNames = ['de Vries', 'Jansen', 'Bakker', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'Bos', 'Vos', 'Peters', 'Hendriks', 'van Dijk', 'Dekker', 'Brouwer', 'Yılmaz', 'El Amrani', 'Hungry', 'Madeater', 'Cheetos', 'Kowalski', 'Nguyen', 'Rossi', 'Okafor'];
const menu = ['Margherita', 'Pepperoni', 'Quattro Formaggi', 'Hipster Burger', 'Veggie Burger', 'Fries', 'Chef Special Mozzarella Pizza', 'Awesome Cheese Platter', 'Caesar Salad', 'Tiramisu', 'Cola', 'Lemonade', 'Garlic Bread', 'Pad Thai', 'Falafel Wrap'];

// Random hex from a pool refilled 64 KB at a time: one crypto call per id costs more than the inserts.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(65_536);
    poolOffset = 0;
  }
  poolOffset += bytes;
  return pool.toString('hex', poolOffset - bytes, poolOffset);
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));
const minute = 60_000;

const streets = ['Kerkstraat', 'Prinsengracht', 'Damrak', 'Overtoom', 'Ferdinand Bolstraat', 'Javastraat', 'Haarlemmerdijk', 'Linnaeusstraat', 'Van Woustraat', 'Bilderdijkstraat', 'Utrechtsestraat', 'Czaar Peterstraat'];

// Most orders go out with the driver; about one in seven is picked up at the counter (no address).
function deliveryAddress(): string | null {
  if (Math.random() < 0.15) return null;
  return `${pick(streets)} ${between(1, 240)}, 10${between(10, 99)} ${String.fromCharCode(65 + between(0, 25), 65 + between(0, 25))} Amsterdam`;
}

function items(): string {
  const lines = new Set<string>();
  const count = between(1, 4);
  while (lines.size < count) lines.add(pick(menu));
  return [...lines].map((item) => `${between(1, 3)} x ${item}`).join('\n');
}

type OrderRow = [id: string, number: number, day: string, name: string, phone: string, items: string, address: string | null, status: string, createdAt: string, updatedAt: string, deliveredAt: string | null, scheduledFor: string | null];
type ChangeRow = [orderId: string, status: string, changedAt: string];
type MessageRow = [orderId: string, status: string, body: string, recipient: string, reference: string, state: string, providerMessageId: string | null,
  providerStatus: string | null, providerStatusAt: string | null, errorCode: number | null, errorDescription: string | null, requestedAt: string, updatedAt: string];

type ReplyRow = [phone: string, orderId: string, body: string, receivedAt: string, readAt: string | null];

/** Where the rows go: SQLite's own connection, or batches to PostgreSQL. */
type Sink = {
  existingOrders(): Promise<number>;
  lastNumbers(): Promise<Map<string, number>>;
  order(row: OrderRow): Promise<void>;
  change(row: ChangeRow): void;
  message(row: MessageRow): void;
  reply(row: ReplyRow): void;
  /** Runs the import in one transaction, with what the engine sets aside for a bulk load. */
  import(write: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
};

/** One order's life: statuses with their times, ending delivered (or cancelled) unless it is still active. */
function lifeOf(createdAt: number, stillActive: boolean, now: number): Array<[string, number]> {
  const steps: Array<[string, number]> = [['pending', createdAt]];
  let at = createdAt;
  const next = (status: string, low: number, high: number) => {
    at += between(low, high) * minute;
    if (stillActive && at >= now) return false;
    steps.push([status, at]);
    return true;
  };
  if (!next('confirmed', 2, 6)) return steps;
  if (Math.random() < 0.08 && !next('delayed', 10, 25)) return steps;
  if (stillActive) return steps;
  // About one order in fifty is called off (the customer, an item out of stock) instead.
  if (Math.random() < 0.02) next('cancelled', 1, 10);
  else next('delivered', 15, 45);
  return steps;
}

// References only need to be unique: in ascending order they are appended to their unique index
// instead of written all over it.
const referencePrefix = `fake-${Date.now().toString(36)}-`;
let references = 0;
const nextReference = () => `${referencePrefix}${(references++).toString(36).padStart(8, '0')}`;

function addMessages(orderId: string, name: string, phone: string, steps: Array<[string, number]>) {
  for (const [status, at] of steps) {
    // Pending and cancelled are not texted by default (the admin's defaults); of the rest, most.
    if (status === 'pending' || status === 'cancelled' || Math.random() < 0.3) continue;
    const sentAt = at + between(1, 20) * 1000;
    const roll = Math.random();
    const state = roll < 0.02 ? 'failed' : roll < 0.05 ? 'sent' : 'delivered';
    const done = new Date(sentAt + between(2, 30) * 1000).toISOString();
    sink.message([
      orderId, status, renderTemplate(defaultTemplates[status as OrderStatus], { name, status, delay: '20 minutes', eta: '', restaurant: config.restaurantName, orderNumber: '', trackingLink: '' }), phone, nextReference(), state,
      state === 'failed' ? null : `mb-${randomHex(8)}`,
      state === 'failed' ? null : state, state === 'failed' ? null : done,
      state === 'failed' ? 21 : null, state === 'failed' ? 'Bad request (phone number has unknown format)' : null,
      new Date(at).toISOString(), done,
    ]);
  }
}

// What customers text back. Read by the time the order was done; those to active orders still unread.
const replyTexts = ['Please ring twice, the bell is broken', 'Can you leave it at the door?', 'I am on the 3rd floor, no lift',
  'Thanks!', 'How long will it take?', 'Can I add a cola?', 'The code for the gate is 4711', 'No onions please, I forgot to say',
  'Ok great', 'Is it on its way?'];

function addReply(orderId: string, phone: string, steps: Array<[string, number]>, stillActive: boolean) {
  // About one order in thirty gets a text back, a few minutes after a status text.
  if (Math.random() >= 1 / 30) return;
  const [, lastAt] = steps.at(-1)!;
  const receivedAt = Math.min(steps[Math.min(1, steps.length - 1)]![1] + between(1, 5) * minute, now - minute);
  const readAt = stillActive ? null : new Date(Math.max(receivedAt + minute, Math.min(lastAt, receivedAt + between(1, 5) * minute))).toISOString();
  sink.reply([phone, orderId, pick(replyTexts), new Date(receivedAt).toISOString(), readAt]);
}

const now = Date.now();

function pastOrderTime(): number {
  const day = new Date(now);
  day.setDate(day.getDate() - between(0, days - 1));
  day.setHours(11, 0, 0, 0);
  const at = day.getTime() + between(0, 11 * 60) * minute + between(0, 59) * 1000;
  // Orders of the last hour and a half are the active ones or are still cooking: move to a day earlier.
  return at > now - 90 * minute ? at - 24 * 60 * minute : at;
}

const sink = config.databaseUrl ? await postgresSink(config.databaseUrl) : sqliteSink(config.databasePath);
const existing = await sink.existingOrders();
if (existing > 0 && !values.force) {
  console.error(`${target} already holds ${existing} orders; add --force to add ${total} more.`);
  await sink.close();
  process.exit(1);
}

/**
 * About one in five orders still pending is for later: a time one to three hours from now, on a
 * quarter hour, as customers pick them in a shop.
 */
function forLater(status: string): string | null {
  if (status !== 'pending' || between(1, 5) !== 1) return null;
  const quarter = 15 * minute;
  return new Date(Math.ceil((now + between(60, 180) * minute) / quarter) * quarter).toISOString();
}

const started = performance.now();
// Older orders spread over the days, today included, at lunch and dinner hours; the active ones
// from the last 45 minutes. Written oldest first, so each day's numbers follow the clock.
const arrivals = Array.from({ length: total }, (_, index) => {
  const stillActive = index >= total - active;
  const createdAt = stillActive ? now - between(0, 45) * minute - between(0, 59) * 1000 : pastOrderTime();
  return { stillActive, createdAt: Math.min(createdAt, now - minute) };
}).sort((first, second) => first.createdAt - second.createdAt);
// No two orders in the same millisecond: they are written in id order (below), so a tie in time
// could not tell which came first, as the app's numbers and the board's order need.
for (let index = 1; index < arrivals.length; index += 1) {
  if (arrivals[index]!.createdAt <= arrivals[index - 1]!.createdAt) arrivals[index]!.createdAt = arrivals[index - 1]!.createdAt + 1;
}

await sink.import(async () => {
  // Each day's orders are numbered #1, #2, … as the app numbers them, after any already stored (--force).
  const lastNumbers = await sink.lastNumbers();
  const calendar = createZonedCalendar(config.timeZone);
  const numbered = arrivals.map(({ stillActive, createdAt }) => {
    // 128 random bits, as the app's own ids (newOrderId).
    const id = randomHex(16);
    if (!isOrderId(id)) throw new Error(`generated a bad order id ${id}`);
    const day = calendar.dayOf(new Date(createdAt));
    const number = (lastNumbers.get(day) ?? 0) + 1;
    lastNumbers.set(day, number);
    return { id, day, number, stillActive, createdAt };
  });
  // Written in id order, the primary key's index is appended to rather than written all over.
  numbered.sort((first, second) => (first.id < second.id ? -1 : 1));
  for (const { id, day, number, stillActive, createdAt } of numbered) {
    const name = `${pick(firstNames)} ${pick(lastNames)}`;
    // Dutch mobile numbers the app itself accepts (06-1… to 06-5…; 06-6… and 06-7… are not mobile).
    const phone = `+316${between(10_000_000, 59_999_999)}`;
    const steps = lifeOf(createdAt, stillActive, now);
    const [status, lastAt] = steps.at(-1)!;
    const deliveredAt = status === 'delivered' ? new Date(lastAt).toISOString() : null;
    // Its status changes and messages go in after the order, which they refer to.
    const changes = steps.map(([stepStatus, at]): ChangeRow => [id, stepStatus, new Date(at).toISOString()]);
    await sink.order([id, number, day, name, phone, items(), deliveryAddress(), status, new Date(createdAt).toISOString(), new Date(lastAt).toISOString(), deliveredAt, forLater(status)]);
    for (const change of changes) sink.change(change);
    addMessages(id, name, phone, steps);
    addReply(id, phone, steps, stillActive);
  }
});
await sink.close();
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`Added ${total} orders over ${days} days (${active} active) to ${target} in ${seconds} s.`);

function sqliteSink(path: string): Sink {
  // A bulk import straight into SQLite's own connection: indexes and triggers are dropped and
  // rebuilt around it, which only SQLite's schema table allows here.
  const db = openSqlite(path).sqlite;
  // A large page cache: the order ids are random, so their index is written all over.
  db.pragma('cache_size = -262144');
  const statements = {
    order: db.prepare(`INSERT INTO orders (id, number, day, customer_name, phone, items, delivery_address, status, created_at, updated_at, delivered_at, scheduled_for)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    change: db.prepare('INSERT INTO order_status_changes (order_id, status, changed_at) VALUES (?, ?, ?)'),
    message: db.prepare(`INSERT INTO messages (order_id, order_status, body, recipient, reference, state, attempts,
        provider_message_id, provider_status, provider_status_at, error_code, error_description, requested_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`),
    reply: db.prepare('INSERT INTO customer_replies (phone, order_id, body, received_at, read_at) VALUES (?, ?, ?, ?, ?)'),
  };
  return {
    existingOrders: async () => db.prepare('SELECT count(*) FROM orders').pluck().get() as number,
    lastNumbers: async () => new Map((db.prepare('SELECT day, max(number) AS number FROM orders GROUP BY day').all() as Array<{ day: string; number: number }>)
      .map((row) => [row.day, row.number])),
    order: async (row) => { statements.order.run(...row); },
    change: (row) => { statements.change.run(...row); },
    message: (row) => { statements.message.run(...row); },
    reply: (row) => { statements.reply.run(...row); },
    async import(write) {
      // A bulk import is history, not news for open boards: the board_events triggers are set aside
      // for it and put back in the same transaction.
      const triggers = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'board_events_%'").all() as Array<{ name: string; sql: string }>;
      // Building an index once from the finished table is far faster than keeping it up to date through
      // a million inserts (https://www.sqlite.org/faq.html#q19): the tables' own indexes are set aside
      // too and built again at the end of the same transaction.
      const indexes = db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
        AND tbl_name IN ('orders', 'order_status_changes', 'messages', 'customer_replies')`).all() as Array<{ name: string; sql: string }>;
      // In WAL mode every page of a large import is written twice (log, then checkpoint); a rollback
      // journal writes new pages once. Only possible while no other connection has the file open: then
      // the import stays in WAL mode.
      const journal = (() => {
        try {
          return db.pragma('journal_mode = DELETE', { simple: true }) as string;
        } catch {
          return 'wal';
        }
      })();
      // better-sqlite3's transactions are synchronous; the writes below never wait on anything else,
      // so BEGIN and COMMIT are issued by hand around them.
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const trigger of triggers) db.exec(`DROP TRIGGER ${trigger.name}`);
        for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
        await write();
        for (const index of indexes) db.exec(index.sql);
        for (const trigger of triggers) db.exec(trigger.sql);
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
      if (journal !== 'wal') db.pragma('journal_mode = WAL');
      db.pragma('optimize');
    },
    close: async () => { db.close(); },
  };
}

async function postgresSink(url: string): Promise<Sink> {
  const db = await openDatabase({ url }, { poolSize: 1 });
  // Rows go in batches, each one INSERT … SELECT FROM unnest(arrays): a round trip per few
  // thousand rows instead of one per row.
  const batchSize = 2_000;
  const pending = { orders: [] as OrderRow[], changes: [] as ChangeRow[], messages: [] as MessageRow[], replies: [] as ReplyRow[] };
  const columns = <T extends unknown[]>(rows: T[], width: number) => Array.from({ length: width }, (_, column) => rows.map((row) => row[column]));
  const flush = async () => {
    if (pending.orders.length > 0) {
      await db.run(`INSERT INTO orders (id, number, day, customer_name, phone, items, delivery_address, status, created_at, updated_at, delivered_at, scheduled_for)
        SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS int[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]),
          CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]))`, columns(pending.orders.splice(0), 12));
    }
    if (pending.changes.length > 0) {
      await db.run(`INSERT INTO order_status_changes (order_id, status, changed_at)
        SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]))`, columns(pending.changes.splice(0), 3));
    }
    if (pending.messages.length > 0) {
      await db.run(`INSERT INTO messages (order_id, order_status, body, recipient, reference, state, provider_message_id, provider_status,
          provider_status_at, error_code, error_description, requested_at, updated_at, attempts)
        SELECT *, 1 FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]),
          CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS int[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]))`,
      columns(pending.messages.splice(0), 13));
    }
    if (pending.replies.length > 0) {
      await db.run(`INSERT INTO customer_replies (phone, order_id, body, received_at, read_at)
        SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]))`, columns(pending.replies.splice(0), 5));
    }
  };
  const tables = ['orders', 'order_status_changes', 'messages', 'customer_replies'];
  return {
    existingOrders: async () => (await db.value<number>('SELECT count(*) FROM orders')) ?? 0,
    lastNumbers: async () => new Map((await db.all<{ day: string; number: number }>('SELECT day, max(number) AS number FROM orders GROUP BY day'))
      .map((row) => [row.day, row.number])),
    async order(row) {
      pending.orders.push(row);
      if (pending.orders.length >= batchSize) await flush();
    },
    change: (row) => { pending.changes.push(row); },
    message: (row) => { pending.messages.push(row); },
    reply: (row) => { pending.replies.push(row); },
    async import(write) {
      await db.transaction(async () => {
        // History is not news for open boards: the tables' triggers (board events) are switched
        // off for this transaction's inserts and on again before it commits.
        for (const table of tables) await db.run(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
        await write();
        await flush();
        for (const table of tables) await db.run(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
      });
      for (const table of tables) await db.run(`ANALYZE ${table}`);
    },
    close: () => db.close(),
  };
}
