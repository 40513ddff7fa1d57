/**
 * Listener: the TCP server. It reads nothing itself (`pauseOnConnect`): each socket goes, unread, to a
 * session process. Past `maxConnections` the client gets an ERROR frame and a close.
 */
import net from 'node:net';
import { toErrorFrame, StompError } from '../protocol/errors.js';
import { serializeFrame } from '../protocol/writer.js';

/** Starts listening; `accept` gets each socket unless the broker is full. */
export function listen(
  host: string,
  port: number,
  isFull: () => boolean,
  accept: (socket: net.Socket) => void,
): Promise<net.Server> {
  const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    if (isFull()) refuse(socket);
    else accept(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function refuse(socket: net.Socket): void {
  const err = new StompError('RESOURCE_LIMIT', 'too many connections',
    'The broker serves its maximum number of connections; try again later.');
  socket.end(serializeFrame(toErrorFrame(err), '1.0'));
  setTimeout(() => socket.destroy(), 1000).unref();
}
