/**
 * CONNECT / STOMP: version negotiation, heart-beats, CONNECTED. Steps are listed in order, as aedes'
 * `connectActions`.
 */
import { fail } from '../../protocol/errors.js';
import {
  type Frame, HEADER_ACCEPT_VERSION, HEADER_CLIENT_ID, HEADER_HEART_BEAT, HEADER_LOGIN, HEADER_SERVER, HEADER_SESSION,
  HEADER_VERSION, type StompVersion,
} from '../../protocol/frame.js';
import { heartBeatHeader, negotiateHeartBeat, negotiateVersion } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';

interface ConnectSteps {
  version: StompVersion;
  heartBeat: { send: number; receive: number; header: string };
}

/** CONNECT and STOMP (STOMP 1.2 "Connecting"). */
export function handleConnect(frame: Frame, ctx: SessionContext): void {
  if (ctx.state.connected) throw fail('ALREADY_CONNECTED', 'Already connected', 'This session is already connected.');
  const version = negotiateVersion(frame.headers[HEADER_ACCEPT_VERSION]);
  // STOMP 1.0 has no heart-beating: a 1.0 client's heart-beat header is not agreed to.
  const heartBeat = negotiateHeartBeat(version === '1.0' ? [0, 0] : heartBeatHeader(frame), ctx.config.heartbeat);
  const steps: ConnectSteps = { version, heartBeat };
  ctx.state.connected = true;
  ctx.state.version = version;
  ctx.state.login = frame.headers[HEADER_LOGIN] ?? '';
  ctx.state.clientId = frame.headers[HEADER_CLIENT_ID] ?? '';
  sendConnected(ctx, steps);
  ctx.connection.connected(version);
  ctx.connection.startHeartbeat(heartBeat.send, heartBeat.receive);
  ctx.bus({ t: 'connected', login: ctx.state.login, version, remote: ctx.remote, clientId: ctx.state.clientId });
}

function sendConnected(ctx: SessionContext, { version, heartBeat }: ConnectSteps): void {
  const headers: Record<string, string> = {
    [HEADER_VERSION]: version,
    [HEADER_SERVER]: ctx.config.server,
    [HEADER_SESSION]: ctx.sessionName,
  };
  if (version !== '1.0') headers[HEADER_HEART_BEAT] = heartBeat.header;
  ctx.send({ command: 'CONNECTED', headers, body: Buffer.alloc(0) });
}
