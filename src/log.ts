/** A small leveled logger writing one line per event to stderr, tagged with the process role. */
import type { LogLevel } from './config.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Logger for one process ("hub", "session 12"). */
export class Logger {
  constructor(private readonly tag: string, private level: LogLevel = 'info') {}

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  error(msg: string): void { this.write('error', msg); }
  warn(msg: string): void { this.write('warn', msg); }
  info(msg: string): void { this.write('info', msg); }
  debug(msg: string): void { this.write('debug', msg); }

  private write(level: LogLevel, msg: string): void {
    if (RANK[level] > RANK[this.level]) return;
    process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} [${this.tag}] ${msg}\n`);
  }
}
