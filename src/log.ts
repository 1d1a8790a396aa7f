import pino from 'pino';
import pretty from 'pino-pretty';
import { redactSecrets } from './redact.js';
import { safeText } from './terminal.js';
import type { Logger } from './sdk/index.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every string in a logged object with its control characters escaped: provider data never drives the terminal. */
function safeValues(value: unknown): unknown {
  if (typeof value === 'string') return safeText(value);
  if (Array.isArray(value)) return value.map(safeValues);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [safeText(key), safeValues(child)]));
  }
  return value;
}

/**
 * pino on stderr, so stdout stays clean for --format output: JSON lines, or a readable line format on a
 * terminal. Every logged object passes the secret redaction first, and every message and value is made safe
 * for a terminal.
 */
export function createLogger(options: { level: LogLevel; pretty: boolean; destination?: NodeJS.WritableStream }): Logger {
  const stream = options.pretty
    ? pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' })
    : (options.destination ?? pino.destination({ dest: 2, sync: true }));
  return pino(
    {
      level: options.level,
      base: undefined,
      formatters: { log: (object) => safeValues(redactSecrets(object)) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? safeText(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
}
