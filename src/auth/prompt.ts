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
 * Reads one line per prompt from a terminal in raw mode, so nothing typed is echoed. Handles
 * backspace; Ctrl-C and Ctrl-D abandon. Typed-ahead input (several lines in one chunk) is split.
 */
function readHiddenLines(input: NodeJS.ReadStream, output: NodeJS.WriteStream, prompts: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let current = '';
    let afterCR = false;
    const finish = (err: Error | null): void => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolve(lines);
    };
    const onChar = (c: string): boolean => {
      const crlf = afterCR && c === '\n';
      afterCR = c === '\r';
      if (crlf) return true;
      if (c === '\u0003' || (c === '\u0004' && current === '')) {
        finish(new UserInputError('password entry cancelled'));
        return false;
      }
      if (c === '\r' || c === '\n') {
        lines.push(current);
        current = '';
        if (lines.length === prompts.length) {
          finish(null);
          return false;
        }
        output.write('\n' + prompts[lines.length]);
      } else if (c === '\u007f' || c === '\b') current = current.slice(0, -1);
      else if (c >= ' ') current += c;
      return true;
    };
    const onData = (chunk: Buffer | string): void => {
      for (const c of chunk.toString()) if (!onChar(c)) return;
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
    output.write(prompts[0]);
  });
}
