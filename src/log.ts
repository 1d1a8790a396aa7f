import pino from 'pino';
import pretty from 'pino-pretty';
import { redactSecrets } from './redact.js';
import type { Logger } from './sdk/index.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * pino on stderr, so stdout stays clean for --format output: JSON lines, or a readable line format on a
 * terminal. Every logged object passes the secret-field redaction first.
 */
export function createLogger(options: { level: LogLevel; pretty: boolean; destination?: NodeJS.WritableStream }): Logger {
  const stream = options.pretty
    ? pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' })
    : (options.destination ?? pino.destination({ dest: 2, sync: true }));
  return pino(
    {
      level: options.level,
      base: undefined,
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
    },
    stream,
  );
}
