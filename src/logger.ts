import { pino } from 'pino';
import type { Logger } from 'pino';

// Secrets that must never reach a log line, wherever they appear.
const redact = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.apiKey',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact });
}
