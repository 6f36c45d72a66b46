import { pino } from 'pino';
import supertest from 'supertest';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Config } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import type { SmsMessage, SmsSender, SmsSendResult } from '../src/notifications/sms-sender.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import type { NewOrder } from '../src/orders/order-repository.ts';

/** A sender that records what it was asked to send; each test scripts its answer. */
export class FakeSmsSender implements SmsSender {
  readonly sent: SmsMessage[] = [];
  next: (message: SmsMessage) => Promise<SmsSendResult> = async () => ({ providerMessageId: `mb-${this.sent.length}`, sent: true });

  async send(message: SmsMessage): Promise<SmsSendResult> {
    this.sent.push(message);
    return this.next(message);
  }
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent', ...overrides });
}

/** A fresh in-memory database and app for one test. */
export function createTestApp(options: { sender?: SmsSender; config?: Config } = {}) {
  const config = options.config ?? testConfig();
  const db = openDatabase(':memory:');
  const sender = options.sender ?? new FakeSmsSender();
  const app = createApp({ config, db, sender, logger: pino({ level: 'silent' }) });
  const orders = createOrderRepository(db);
  return { app, db, orders, sender, agent: supertest.agent(app) };
}

let orderCounter = 0;

export function makeOrder(overrides: Partial<NewOrder> = {}): NewOrder {
  orderCounter += 1;
  return {
    id: `order-${orderCounter}`,
    customerName: 'Hannah Hungry',
    phone: '+14127267380',
    items: '1 x Hipster Burger, Fries',
    status: 'pending',
    ...overrides,
  };
}
