/**
 * What a frame handler may use: the session state, a way to write frames to the client (never the
 * socket itself) and a way to talk to the hub. Like RabbitMQ's processor and its `send_fun`.
 */
import type { SessionConfig } from '../config.js';
import type { RequestId, SessionToHub } from '../ipc/contract.js';
import type { Frame, StompVersion } from '../protocol/frame.js';
import type { SessionState } from './state.js';

/** The connection-level operations a handler may ask for. */
export interface ConnectionControl {
  /** Switches the parser and writer to the negotiated version and the post-CONNECT limits. */
  connected(version: StompVersion): void;
  /** Starts heart-beating: send every `send` ms, expect data every `receive` ms (0 = off). */
  startHeartbeat(send: number, receive: number): void;
  /** Closes the connection once everything written has been flushed. */
  close(): void;
}

/** The services a frame handler gets. */
export interface SessionContext {
  readonly state: SessionState;
  readonly config: SessionConfig;
  /** Value of CONNECTED's `session` header. */
  readonly sessionName: string;
  /** Client address, "ip:port". */
  readonly remote: string;
  readonly connection: ConnectionControl;
  /** Writes a frame to the client. */
  send(frame: Frame): void;
  /** Sends a message to the hub. */
  bus(message: SessionToHub): void;
  /** Tells the hub these messages are acknowledged (ACKs read in one turn travel as one message). */
  busAck(ids: number[], rid: RequestId): void;
  /** A request id whose `done` releases `frame`'s RECEIPT; 0 when the frame asked for none. */
  receiptFor(frame: Frame): RequestId;
  /** Closes the connection once request `rid` is done (DISCONNECT with receipt). */
  closeAfter(rid: RequestId): void;
  /** The DER of the client's verified TLS certificate; empty for plain TCP or no certificate. */
  peerCertificate(): Buffer;
}

/** A frame handler: validates, updates state, writes frames or tells the hub; throws StompError. */
export type FrameHandler = (frame: Frame, ctx: SessionContext) => void;
