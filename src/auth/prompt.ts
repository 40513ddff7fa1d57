/**
 * Reading a new password for `user add` / `user passwd`: on a terminal, asked twice without echo;
 * otherwise the first line of standard input (for scripts: `echo "$PW" | stomp-broker user add …`).
 */
import { UserInputError } from './rights.js';

/** The new password from the terminal (typed twice) or from the first line of standard input. */
export async function readNewPassword(
  input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  if (!input.isTTY) return checked(await readFirstLine(input));
  const [first, second] = await readHiddenLines(input, output, ['Password: ', 'Again: ']);
  if (first !== second) throw new UserInputError('the two passwords differ');
  return checked(first);
}

function checked(password: string): string {
  if (password === '') throw new UserInputError('empty password');
  return password;
}

/** The first line of a non-terminal stream (without its line ending); rejects if there is none. */
function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (line: string | null): void => {
      input.removeListener('data', onData).removeListener('end', onEnd).removeListener('error', reject);
      input.pause();
      if (line === null) reject(new UserInputError('no password on standard input (give --password or one line)'));
      else resolve(line.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) done(text.slice(0, nl));
    };
    const onEnd = (): void => done(text === '' ? null : text);
    input.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

/**
 * Turns raw terminal keystrokes into lines: Enter (CR, LF or CRLF) ends a line, backspace erases,
 * other control characters are ignored; Ctrl-C, or Ctrl-D on an empty line, cancels.
 */
export class KeystrokeLines {
  /** Lines completed so far. */
  readonly lines: string[] = [];
  private current = '';
  private afterCR = false;

  /** Feeds one character; says whether it ended a line, cancelled, or neither. */
  feed(c: string): 'line' | 'cancel' | 'more' {
    const crlf = this.afterCR && c === '\n';
    this.afterCR = c === '\r';
    if (crlf) return 'more';
    if (c === '\u0003' || (c === '\u0004' && this.current === '')) return 'cancel';
    if (c === '\r' || c === '\n') {
      this.lines.push(this.current);
      this.current = '';
      return 'line';
    }
    if (c === '\u007f' || c === '\b') this.current = this.current.slice(0, -1);
    else if (c >= ' ') this.current += c;
    return 'more';
  }
}

/** Reads one line per prompt from a terminal in raw mode, so nothing typed is echoed. */
function readHiddenLines(input: NodeJS.ReadStream, output: NodeJS.WriteStream, prompts: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const keys = new KeystrokeLines();
    const finish = (err: Error | null): void => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(keys.lines);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const c of chunk.toString()) {
        const what = keys.feed(c);
        if (what === 'cancel') return finish(new UserInputError('password entry cancelled'));
        if (what === 'line' && keys.lines.length === prompts.length) return finish(null);
        if (what === 'line') output.write('\n' + prompts[keys.lines.length]);
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
    output.write(prompts[0]);
  });
}
