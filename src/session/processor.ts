/**
 * Processor: dispatches each client frame to its handler. The "not connected yet" check lives here,
 * once, before dispatch (aedes' handlers/index.js); every error a handler throws becomes one ERROR
 * frame here, and the connection closes after it (STOMP 1.2 "ERROR").
 */
import { fail, StompError } from '../protocol/errors.js';
import { type ClientCommand, type Frame, isClientCommand } from '../protocol/frame.js';
import type { FrameHandler, SessionContext } from './context.js';
import { handleAck, handleNack } from './handlers/ack.js';
import { handleConnect } from './handlers/connect.js';
import { handleDisconnect } from './handlers/disconnect.js';
import { handleSend } from './handlers/send.js';
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe.js';
import { handleAbort, handleBegin, handleCommit } from './handlers/transaction.js';

const HANDLERS: Record<ClientCommand, FrameHandler> = {
  CONNECT: handleConnect,
  STOMP: handleConnect,
  SEND: handleSend,
  SUBSCRIBE: handleSubscribe,
  UNSUBSCRIBE: handleUnsubscribe,
  ACK: handleAck,
  NACK: handleNack,
  BEGIN: handleBegin,
  COMMIT: handleCommit,
  ABORT: handleAbort,
  DISCONNECT: handleDisconnect,
};

/** Runs `frame` through its handler; returns the error to send the client, if any. */
export function processFrame(frame: Frame, ctx: SessionContext): StompError | null {
  try {
    if (!isClientCommand(frame.command)) {
      throw fail('UNKNOWN_COMMAND', 'Unknown command', `'${frame.command.slice(0, 64)}' is not a STOMP client command.`);
    }
    const connecting = frame.command === 'CONNECT' || frame.command === 'STOMP';
    if (!ctx.state.connected && !connecting) {
      throw fail('NOT_CONNECTED', 'Not connected', `Send CONNECT before ${frame.command}.`);
    }
    HANDLERS[frame.command](frame, ctx);
    return null;
  } catch (err) {
    if (err instanceof StompError) return err;
    process.stderr.write(`session ${ctx.sessionName}: ${(err as Error).stack}\n`);
    return new StompError('INTERNAL', 'Internal error', 'The broker failed to process this frame.');
  }
}
