/**
 * STOMP frame types, command names and every header name the broker reads or writes.
 * A header name is spelled here once (like RabbitMQ's rabbit_stomp_headers.hrl); no other file spells it.
 */

/** The protocol versions this broker speaks, oldest first. */
export const SUPPORTED_VERSIONS = ['1.0', '1.1', '1.2'] as const;
/** One STOMP protocol version. */
export type StompVersion = (typeof SUPPORTED_VERSIONS)[number];

/** Commands a client may send. */
export const CLIENT_COMMANDS = [
  'CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK',
  'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT',
] as const;
/** A command a client may send. */
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];
/** Commands the broker sends. */
export type ServerCommand = 'CONNECTED' | 'MESSAGE' | 'RECEIPT' | 'ERROR';

/**
 * Headers of one frame, in arrival order. STOMP 1.2 "Repeated Header Entries": only the first
 * occurrence of a name counts, so the parser keeps the first and drops later ones.
 */
export type Headers = Record<string, string>;

/** One STOMP frame; the body stays a Buffer from socket to socket. */
export interface Frame {
  command: string;
  headers: Headers;
  body: Buffer;
}

/** True when `command` is one a client may send. */
export function isClientCommand(command: string): command is ClientCommand {
  return (CLIENT_COMMANDS as readonly string[]).includes(command);
}

export const HEADER_ACCEPT_VERSION = 'accept-version';
export const HEADER_ACK = 'ack';
export const HEADER_CONTENT_LENGTH = 'content-length';
export const HEADER_CONTENT_TYPE = 'content-type';
export const HEADER_DESTINATION = 'destination';
export const HEADER_HEART_BEAT = 'heart-beat';
export const HEADER_HOST = 'host';
export const HEADER_ID = 'id';
export const HEADER_LOGIN = 'login';
export const HEADER_PASSCODE = 'passcode';
export const HEADER_MESSAGE = 'message';
export const HEADER_MESSAGE_ID = 'message-id';
export const HEADER_RECEIPT = 'receipt';
export const HEADER_RECEIPT_ID = 'receipt-id';
export const HEADER_SERVER = 'server';
export const HEADER_SESSION = 'session';
export const HEADER_SUBSCRIPTION = 'subscription';
export const HEADER_TRANSACTION = 'transaction';
export const HEADER_VERSION = 'version';
export const HEADER_REDELIVERED = 'redelivered';
export const HEADER_PERSISTENT = 'persistent';
/** SEND: where a reply should go (a `/temp-queue/…` here is rewritten to its `/reply-queue/…` name). */
export const HEADER_REPLY_TO = 'reply-to';
/** SUBSCRIBE: a JMS message selector (ActiveMQ's header), evaluated in the subscriber's session. */
export const HEADER_SELECTOR = 'selector';
// ActiveMQ's STOMP names for JMS headers the broker itself never sets, read by selectors.
/** JMSType. */
export const HEADER_TYPE = 'type';
/** JMSCorrelationID. */
export const HEADER_CORRELATION_ID = 'correlation-id';
/** JMSTimestamp, epoch ms (ActiveMQ stamps it on SEND; this broker passes on what the client sent). */
export const HEADER_TIMESTAMP = 'timestamp';
/** RabbitMQ's credit header on SUBSCRIBE. */
export const HEADER_PREFETCH_COUNT = 'prefetch-count';
/** ActiveMQ's credit header on SUBSCRIBE. */
export const HEADER_ACTIVEMQ_PREFETCH = 'activemq.prefetchSize';
/** Failed deliveries before this one, on a redelivered MESSAGE (RabbitMQ's name). */
export const HEADER_DELIVERY_COUNT = 'x-delivery-count';
export const HEADER_PRIORITY = 'priority';
/** Priorities are 0–9 as in JMS/ActiveMQ, higher first; 4 is the default. */
export const MAX_PRIORITY = 9;
export const DEFAULT_PRIORITY = 4;
/** Delay before the message is offered, ms (ours) … */
export const HEADER_DELAY = 'delay';
/** … and ActiveMQ's name for the same. */
export const HEADER_AMQ_SCHEDULED_DELAY = 'AMQ_SCHEDULED_DELAY';
/** Absolute expiry, epoch ms, 0 = never (ActiveMQ, JMS). */
export const HEADER_EXPIRES = 'expires';
/** Relative expiry, ms from now (RabbitMQ). */
export const HEADER_EXPIRATION = 'expiration';
/** NACK: the worker's own "retry in", ms. */
export const HEADER_RETRY_AFTER = 'retry-after';
/** NACK: `false` sends the message straight to its dead-letter queue. */
export const HEADER_REQUEUE = 'requeue';
/** SUBSCRIBE: unacknowledged messages return to the queue after this many ms. */
export const HEADER_ACK_TIMEOUT = 'ack-timeout';
/** CONNECT: the client's stable identity, for durable subscriptions (ActiveMQ). */
export const HEADER_CLIENT_ID = 'client-id';
/** SUBSCRIBE/UNSUBSCRIBE: ActiveMQ's durable subscription name. */
export const HEADER_ACTIVEMQ_SUBSCRIPTION_NAME = 'activemq.subscriptionName';
/** SUBSCRIBE/UNSUBSCRIBE: RabbitMQ's durable subscription flag (with `auto-delete:false`). */
export const HEADER_DURABLE = 'durable';
export const HEADER_AUTO_DELETE = 'auto-delete';

/** Dead letters: where the message was sent, why it died, how often and when it failed (JSON). */
export const HEADER_ORIGINAL_DESTINATION = 'original-destination';
export const HEADER_DEAD_LETTER_REASON = 'dead-letter-reason';
export const HEADER_DELIVERY_FAILURES = 'delivery-failures';
export const HEADER_FAILURE_HISTORY = 'failure-history';

/** Headers a client must not be able to forge on a MESSAGE: the broker sets them. */
export const BROKER_SET_HEADERS: readonly string[] = [
  HEADER_MESSAGE_ID, HEADER_SUBSCRIPTION, HEADER_ACK, HEADER_DESTINATION,
  HEADER_REDELIVERED, HEADER_DELIVERY_COUNT, HEADER_CONTENT_LENGTH,
];

/** Headers that belong to the SEND frame itself and are not copied onto the MESSAGE. */
export const SEND_ONLY_HEADERS: readonly string[] = [HEADER_RECEIPT, HEADER_TRANSACTION];
