import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import pinoPretty from 'pino-pretty';

// Secrets that must never reach a log line, wherever they appear.
const redact = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
];

/**
 * Readable lines for a developer at a terminal; JSON lines for everything else (production, tests,
 * a log collector reading a pipe).
 */
export function wantsPrettyLogs(env: string, stdoutIsTerminal: boolean | undefined): boolean {
  return env === 'development' && stdoutIsTerminal === true;
}

export function createLogger(level: string, options: { pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  if (options.pretty) {
    return pino({ level, redact }, pinoPretty({ destination: options.destination ?? 1, sync: true, translateTime: 'SYS:HH:MM:ss' }));
  }
  return options.destination ? pino({ level, redact }, options.destination) : pino({ level, redact });
}

const rule = '='.repeat(66);

/**
 * A few lines framed by rules, set apart from the log lines around them: the address to open and
 * the first admin's password are what a newcomer looks for in the start-up output. Bold where the
 * terminal shows it.
 */
export function banner(lines: string[], options: { bold?: boolean } = {}): string {
  const body = lines.map((line) => `  ${line}`).join('\n');
  return `\n${rule}\n${options.bold ? `\u001b[1m${body}\u001b[22m` : body}\n${rule}\n\n`;
}
