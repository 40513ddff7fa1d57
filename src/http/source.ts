/**
 * What the management API reads from and asks of the hub. The hub owns every piece of data; it hands
 * the API one object of this shape (Hub.managementSource), so the HTTP code never reaches into the
 * hub's private state and the hub never imports fastify.
 */
import type { UserDb } from '../auth/user-db.js';
import type { HubSession } from '../hub/model.js';
import type { Router } from '../hub/router.js';
import type { SessionStatus } from '../ipc/contract.js';

/** The broker as a whole, cheap to build (no per-destination or per-session work). */
export interface BrokerSummary {
  pid: number;
  version: string;
  uptimeMs: number;
  host: string;
  port: number;
  /** Clients served now. */
  connections: number;
  /** Sockets waiting for their first frame (they cost no session yet). */
  pendingConnections: number;
  idleSessions: number;
  /** Session processes, whatever their state. */
  sessionProcesses: number;
}

/** Totals since the broker started. */
export interface BrokerCounters {
  connectionsAccepted: number;
  connectionsRefused: number;
  sessionsStarted: number;
  sessionsExited: number;
  clientsHandedOff: number;
}

/** One session process, and the hub's record of its client when it serves one. */
export interface SessionEntry {
  process: Omit<SessionStatus, 'paused'>;
  /** The client it serves (undefined for an idle or starting session). */
  client: HubSession | undefined;
  /** Flow control has paused its client as a producer. */
  paused: boolean;
}

/** What closing a session's client came to. */
export type CloseOutcome = 'closing' | 'no-session' | 'no-client' | 'other-client';

/** The hub as the management API sees it. */
export interface BrokerSource {
  readonly router: Router;
  summary(): BrokerSummary;
  counters(): BrokerCounters;
  /** Every session process (O(sessions)). */
  sessions(): SessionEntry[];
  /** Session `id`, if it runs. */
  session(id: number): SessionEntry | undefined;
  /**
   * Sends the client of session `id` ERROR "closed by an operator" and closes it (the process is
   * killed if it has not gone within a grace period); `client` (HubSession.serial), when given, must
   * still be the client the session serves.
   */
  closeClient(id: number, client?: number): CloseOutcome;
  /** The users file's users, or null when there is none (every client is anonymous). */
  users(): UserDb | null;
}
