/**
 * How a selector identifier reads a message's headers. A plain identifier is the header of that
 * exact (case-sensitive) name. The JMS header names read the STOMP header ActiveMQ's STOMP
 * transport maps them to (FrameTranslator.Helper), typed as ActiveMQ types them, with ActiveMQ's
 * value for a message that lacks the header (every ActiveMQ message has a priority, an expiration…).
 */
import {
  DEFAULT_PRIORITY, HEADER_DELIVERY_COUNT, HEADER_DESTINATION, HEADER_EXPIRES, HEADER_MESSAGE_ID,
  HEADER_PERSISTENT, HEADER_PRIORITY, HEADER_REDELIVERED, type Headers,
  HEADER_CORRELATION_ID, HEADER_REPLY_TO, HEADER_TIMESTAMP, HEADER_TYPE,
} from '../protocol/frame.js';
import { parseDecimal, type Value } from './values.js';


/** Reads one identifier's value from a message's headers. */
export type HeaderReader = (headers: Headers) => Value;

/** The raw header `name`: its string, or null when absent (own properties only: never `toString`). */
export function rawHeader(headers: Headers, name: string): string | null {
  if (!Object.hasOwn(headers, name)) return null;
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

function text(name: string): HeaderReader {
  return (h) => rawHeader(h, name);
}

function number(name: string, absent: number | null): HeaderReader {
  return (h) => {
    const raw = rawHeader(h, name);
    return raw === null ? absent : parseDecimal(raw);
  };
}

/** JMS header name → how ActiveMQ's STOMP transport fills it. */
const JMS_HEADERS: ReadonlyMap<string, HeaderReader> = new Map<string, HeaderReader>([
  ['JMSDestination', text(HEADER_DESTINATION)],
  ['JMSMessageID', text(HEADER_MESSAGE_ID)],
  ['JMSCorrelationID', text(HEADER_CORRELATION_ID)],
  ['JMSReplyTo', text(HEADER_REPLY_TO)],
  ['JMSType', text(HEADER_TYPE)],
  ['JMSPriority', number(HEADER_PRIORITY, DEFAULT_PRIORITY)],
  ['JMSExpiration', number(HEADER_EXPIRES, 0)],
  ['JMSTimestamp', number(HEADER_TIMESTAMP, null)],
  ['JMSDeliveryMode', (h) => (rawHeader(h, HEADER_PERSISTENT) === 'true' ? 'PERSISTENT' : 'NON_PERSISTENT')],
  ['JMSRedelivered', (h) => rawHeader(h, HEADER_REDELIVERED) === 'true'],
  // ActiveMQ: redelivery counter + 1; x-delivery-count counts the earlier failed deliveries.
  ['JMSXDeliveryCount', (h) => {
    const earlier = rawHeader(h, HEADER_DELIVERY_COUNT);
    const n = earlier === null ? 0 : parseDecimal(earlier);
    return n === null ? null : n + 1;
  }],
]);

/** The reader for identifier `name`: a JMS header's mapping, else the header of that name. */
export function headerReader(name: string): HeaderReader {
  return JMS_HEADERS.get(name) ?? text(name);
}
