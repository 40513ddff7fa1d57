/**
 * Reading a client socket in the hub before it is handed to a session: whatever the hub reads it must
 * pass on, so reading stops exactly where the hub's copy of the bytes ends.
 */
import type net from 'node:net';

/** The parts of a net.Socket's internals that decide whether its handle reads. */
interface ReadingInternals {
  _handle?: { reading?: boolean; readStop?: () => number } | null;
  _readableState?: { reading: boolean };
}

/**
 * Stops the socket's handle from reading, for good until resumeReading(). A paused stream alone still
 * reads: whenever its buffer is below the high-water mark and it thinks no read is under way, Node
 * starts the handle again (after a 'data' event it does so on the next tick), and a chunk read then
 * would stay in the hub's buffer and never reach the session. So the stream is told a read is under
 * way, and leaves the handle alone. Safe inside a 'data' listener: libuv reads nothing more this round.
 */
export function stopReading(socket: net.Socket): void {
  socket.pause();
  const internals = socket as unknown as ReadingInternals;
  const handle = internals._handle;
  if (!handle?.readStop) return;
  handle.readStop();
  handle.reading = false;
  if (internals._readableState) internals._readableState.reading = true;
}

/** Undoes stopReading(): the stream flows and its handle reads again. */
export function resumeReading(socket: net.Socket): void {
  const state = (socket as unknown as ReadingInternals)._readableState;
  if (state) state.reading = false;
  socket.resume();
}

/**
 * Takes what the socket's stream holds in its buffer (nothing, once stopReading() has done its work:
 * this is the hub's guard that no byte it read is left behind at a handoff).
 */
export function takeBuffered(socket: net.Socket): Buffer {
  const chunks: Buffer[] = [];
  for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null;) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Reads `socket` on while it waits, passing each chunk to `onChunk`, until `limit` bytes or `stop()`.
 * A waiting client that has gone is noticed this way (its reset or FIN ends the socket), where an
 * unread socket would look alive until a session took it.
 */
export function readWhileWaiting(socket: net.Socket, limit: number, onChunk: (chunk: Buffer) => void): () => void {
  let bytes = 0;
  let reading = true;
  const stop = (): void => {
    if (!reading) return;
    reading = false;
    socket.off('data', onData);
    stopReading(socket);
  };
  const onData = (chunk: Buffer): void => {
    onChunk(chunk);
    bytes += chunk.length;
    if (bytes >= limit) stop(); // the session reads the rest; the hub holds no more than this
  };
  socket.on('data', onData);
  resumeReading(socket);
  return stop;
}
