/**
 * ClientLink: what a Connection needs of the way bytes reach its client. Over TCP and TLS that is the
 * socket itself (SocketLink); over WebSocket every frame travels as one message (websocket.ts). The
 * Connection parses and writes frames without knowing which.
 */
import type { Socket } from 'node:net';
import { HEARTBEAT } from '../protocol/writer.js';

/** A client's byte pipe, as the Connection drives it. */
export interface ClientLink {
  /** Bytes written and not yet sent. */
  readonly writableLength: number;
  readonly destroyed: boolean;
  /** One serialised frame, in parts (header block, body, NUL) that leave together. */
  writeFrame(parts: Buffer[]): void;
  /** A heart-beat (an EOL between frames). */
  writeHeartbeat(): void;
  pause(): void;
  resume(): void;
  /** Sends what was written, then closes. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** Bytes from the client (over WebSocket: one message's payload). */
  onData: (chunk: Buffer) => void;
  /** What was written has been sent (after writableLength grew). */
  onDrain: () => void;
  /** The client finished sending (a TCP half-close); the broker then closes its side too. */
  onEnd: () => void;
  /** The link is closed for good. */
  onClose: () => void;
}

/** A TCP (or TLS) socket: frames written in one event-loop turn leave in one system call. */
export class SocketLink implements ClientLink {
  onData: (chunk: Buffer) => void = () => {};
  onDrain: () => void = () => {};
  onEnd: () => void = () => {};
  onClose: () => void = () => {};
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    // A client that half-closes after its last frame (`printf ... | nc -N`) still gets the RECEIPTs
    // of those frames: the broker ends its side itself once they are written (see Session.peerEnded).
    socket.allowHalfOpen = true;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => socket.destroy());
    socket.on('end', () => this.onEnd());
    socket.once('close', () => this.onClose());
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  writeFrame(parts: Buffer[]): void {
    // Frames written in one turn (a bus batch of deliveries) leave in one system call.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    for (const part of parts) this.socket.write(part);
  }

  writeHeartbeat(): void {
    this.socket.write(HEARTBEAT);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
