/**
 * Structured logs with pino: one JSON line per event on stderr (`--log-pretty` for a terminal), each
 * tagged with the process role. Events worth finding later carry an `event` field (connect, disconnect,
 * session-exit, …) and the fields that identify them (session pid, client address, reason).
 */
import pino from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

/** What an event line may carry besides its message. */
export type LogFields = Record<string, unknown>;

/** Logger for one process role ("hub", "router"). */
export class Logger {
  private readonly pino: pino.Logger;

  constructor(role: string, level: LogLevel = 'info', prettyPrint = false) {
    const destination = prettyPrint
      ? pretty({ destination: 2, colorize: process.stderr.isTTY, ignore: 'pid,hostname,role', sync: true })
      : pino.destination({ fd: 2, sync: true });
    this.pino = pino({ level, base: { role, pid: process.pid } }, destination);
  }

  error(msg: string, fields?: LogFields): void { this.write('error', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.write('warn', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.write('info', msg, fields); }
  debug(msg: string, fields?: LogFields): void { this.write('debug', msg, fields); }

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (fields) this.pino[level](fields, msg);
    else this.pino[level](msg);
  }
}
