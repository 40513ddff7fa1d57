/**
 * Reading a client socket in the hub before it is handed to a session: whatever the hub reads it must
 * pass on, so reading stops exactly where the hub's copy of the bytes ends.
 */
import type net from 'node:net';

/**
 * Stops the socket's handle from reading (a paused stream alone still reads into its buffer). Safe
 * while the stream flows with a 'data' listener: then every chunk read has already been emitted, and
 * called from inside that listener libuv reads nothing more in this round either. The socket may be
 * resumed later (the pool reads a waiting socket on).
 */
export function stopReading(socket: net.Socket): void {
  socket.pause();
  const internals = socket as unknown as {
    _handle?: { reading?: boolean; readStop?: () => number };
    _readableState?: { reading: boolean };
  };
  const handle = internals._handle;
  if (!handle?.readStop) return;
  handle.readStop();
  // Both flags say "a read is under way"; cleared, a later resume() starts reading again.
  handle.reading = false;
  if (internals._readableState) internals._readableState.reading = false;
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
  socket.resume();
  return stop;
}
