#!/usr/bin/env python3
"""Drives the broker with stomp.py (python3-stomp) as a real third-party STOMP 1.2 client.

Usage: stomp_client.py HOST PORT QUEUE

Connects with STOMP 1.2, subscribes client-individual, sends 5 messages with receipts, receives and
ACKs them, then sends 2 more inside a transaction (invisible until COMMIT), and disconnects with a
receipt. Prints one JSON line describing what happened; exits non-zero (with the reason on stderr)
on any failure. Every wait has a timeout only as a guard against hanging.
"""
import json
import sys

import stomp

from recorder import Recorder



class Client(Recorder):
    """A Recorder whose waits fail the script on an ERROR or when the guard runs out."""

    def wait(self, predicate, what):
        if not self.wait_until(predicate, stop_on_close=False):
            fail('timed out waiting for ' + what)
        if self.errors:
            fail('broker sent ERROR: %r' % (self.errors,))

    def wait_receipt(self, receipt):
        self.wait(lambda: receipt in self.receipts, 'RECEIPT ' + receipt)

    def wait_messages(self, n):
        self.wait(lambda: len(self.messages) >= n, '%d messages' % n)


def fail(reason):
    sys.stderr.write('stomp_client.py: ' + reason + '\n')
    sys.stderr.flush()
    # os._exit: the listener thread may hold the connection open.
    import os
    os._exit(1)


def main():
    host, port, queue = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rec = Client()
    conn = stomp.Connection12([(host, port)], heartbeats=(0, 0), auto_content_length=True)
    conn.set_listener('recorder', rec)
    conn.connect(wait=True, headers={'host': '/'})
    if not conn.is_connected():
        fail('not connected')
    if (rec.connected or {}).get('version') != '1.2':
        fail('negotiated %r, expected 1.2' % ((rec.connected or {}),))

    conn.subscribe(destination=queue, id='py-sub', ack='client-individual', receipt='sub')
    rec.wait_receipt('sub')

    sent = ['python-%d' % i for i in range(5)]
    for i, body in enumerate(sent):
        conn.send(destination=queue, body=body, content_type='text/plain', headers={'receipt': 'send-%d' % i,
                                                                                   'x-index': str(i)})
    for i in range(5):
        rec.wait_receipt('send-%d' % i)
    rec.wait_messages(5)
    first = rec.messages[:5]
    got = [m.body for m in first]
    if got != sent:
        fail('received %r, expected %r' % (got, sent))
    for m in first:
        for h in ('subscription', 'message-id', 'destination', 'ack'):
            if h not in m.headers:
                fail('MESSAGE lacks %s: %r' % (h, m.headers))
        if m.headers['subscription'] != 'py-sub' or m.headers['destination'] != queue:
            fail('bad MESSAGE headers %r' % (m.headers,))
    for i, m in enumerate(first):
        conn.ack(m.headers['ack'], receipt='ack-%d' % i)
    for i in range(5):
        rec.wait_receipt('ack-%d' % i)

    # A transaction: its SENDs are delivered only after COMMIT.
    tx = conn.begin(transaction='py-tx', receipt='begin')
    rec.wait_receipt('begin')
    conn.send(destination=queue, body='tx-1', headers={'transaction': tx, 'receipt': 'tx-send-1'})
    conn.send(destination=queue, body='tx-2', headers={'transaction': tx, 'receipt': 'tx-send-2'})
    rec.wait_receipt('tx-send-2')
    with rec.cond:
        early = len(rec.messages) - 5
    if early != 0:
        fail('%d transactional messages delivered before COMMIT' % early)
    conn.commit(transaction=tx, receipt='commit')
    rec.wait_receipt('commit')
    rec.wait_messages(7)
    tx_bodies = [m.body for m in rec.messages[5:7]]
    if tx_bodies != ['tx-1', 'tx-2']:
        fail('transaction delivered %r' % (tx_bodies,))
    for i, m in enumerate(rec.messages[5:7]):
        conn.ack(m.headers['ack'], receipt='tx-ack-%d' % i)
        rec.wait_receipt('tx-ack-%d' % i)

    conn.disconnect(receipt='bye')
    print(json.dumps({
        'version': (rec.connected or {}).get('version'),
        'server': (rec.connected or {}).get('server'),
        'received': [m.body for m in rec.messages],
        'receipts': rec.receipts,
        'errors': len(rec.errors),
    }))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
