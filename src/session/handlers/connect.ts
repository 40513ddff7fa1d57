/**
 * CONNECT / STOMP: version negotiation, heart-beats, the login, CONNECTED. The login is the hub's
 * decision, never the session's: CONNECT sends the credentials to the hub and CONNECTED is written
 * only when the hub accepts them (`acceptLogin`); a refusal is ERROR "access refused" (`refuseLogin`).
 */
import type { Access } from '../../ipc/contract.js';
import { fail, StompError } from '../../protocol/errors.js';
import {
  type Frame, HEADER_ACCEPT_VERSION, HEADER_CLIENT_ID, HEADER_HEART_BEAT, HEADER_LOGIN, HEADER_PASSCODE, HEADER_SERVER,
  HEADER_SESSION, HEADER_VERSION,
} from '../../protocol/frame.js';
import { heartBeatHeader, negotiateHeartBeat, negotiateVersion } from '../../protocol/headers.js';
import type { SessionContext } from '../context.js';
import type { PendingConnect } from '../state.js';

/**
 * CONNECT and STOMP (STOMP 1.2 "Connecting"). The connection switches to the negotiated version at
 * once (frames a client pipelines behind CONNECT are in it); CONNECTED waits for the hub's answer.
 */
export function handleConnect(frame: Frame, ctx: SessionContext): void {
  const { state } = ctx;
  if (state.connected || state.pendingConnect) {
    throw fail('ALREADY_CONNECTED', 'Already connected', 'This session is already connected.');
  }
  const version = negotiateVersion(frame.headers[HEADER_ACCEPT_VERSION]);
  // STOMP 1.0 has no heart-beating: a 1.0 client's heart-beat header is not agreed to.
  const heartBeat = negotiateHeartBeat(version === '1.0' ? [0, 0] : heartBeatHeader(frame), ctx.config.heartbeat);
  state.pendingConnect = { version, heartBeat };
  state.version = version;
  state.login = frame.headers[HEADER_LOGIN] ?? '';
  state.clientId = frame.headers[HEADER_CLIENT_ID] ?? '';
  ctx.connection.connected(version);
  ctx.bus({ t: 'auth', login: state.login, passcode: frame.headers[HEADER_PASSCODE] ?? '', cert: ctx.peerCertificate() });
}

/** The hub accepted the login: CONNECTED, heart-beats, and the hub is told the client is in. */
export function acceptLogin(ctx: SessionContext, access: Access): void {
  const { state } = ctx;
  const pending = state.pendingConnect;
  if (!pending) return;
  state.pendingConnect = null;
  state.connected = true;
  state.access = access;
  // The hub's name for the client wins (a certificate's CN); anonymous clients keep their login header.
  if (access.user.name) state.login = access.user.name;
  sendConnected(ctx, pending);
  ctx.connection.startHeartbeat(pending.heartBeat.send, pending.heartBeat.receive);
  ctx.bus({ t: 'connected', login: state.login, version: state.version, remote: ctx.remote, clientId: state.clientId });
}

/** The hub refused the login: the ERROR says only that (never whether the user exists). */
export function refuseLogin(): StompError {
  return new StompError('ACCESS_REFUSED', 'access refused', 'The login or passcode was not accepted.');
}

function sendConnected(ctx: SessionContext, { version, heartBeat }: PendingConnect): void {
  const headers: Record<string, string> = {
    [HEADER_VERSION]: version,
    [HEADER_SERVER]: ctx.config.server,
    [HEADER_SESSION]: ctx.sessionName,
  };
  if (version !== '1.0') headers[HEADER_HEART_BEAT] = heartBeat.header;
  ctx.send({ command: 'CONNECTED', headers, body: Buffer.alloc(0) });
}
