#!/usr/bin/env python3
"""stomp.py (python3-stomp) logging in to the broker, over TCP or TLS.

Usage: stomp_login.py HOST PORT QUEUE LOGIN PASSCODE [CA_FILE [CERT_FILE KEY_FILE]]

With CA_FILE the connection is TLS and the broker's certificate is verified against it; CERT_FILE and
KEY_FILE are presented as the client certificate. Once connected: subscribes to QUEUE, sends three
messages with receipts, receives and ACKs them, disconnects with a receipt. Prints one JSON line:
{"received": [...], "version": ...} or, when the broker refused, {"error": MESSAGE, "body": BODY}.
Every wait has a timeout only as a guard against hanging.
"""
import json
import os
import sys

import stomp

from recorder import Recorder



class Login(Recorder):
    """A Recorder whose waits end the script: with the broker's ERROR as the result, or as a failure."""

    def wait(self, predicate, what):
        if not self.wait_until(predicate):
            fail('timed out waiting for ' + what)
        if self.errors:
            message, body = self.errors[0]
            finish({'error': message, 'body': body})
        if not predicate():
            fail('connection closed while waiting for ' + what)


def finish(result):
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # the listener thread may hold the connection open


def fail(reason):
    sys.stderr.write('stomp_login.py: ' + reason + '\n')
    sys.stderr.flush()
    os._exit(1)


def main():
    host, port, queue, login, passcode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    tls = sys.argv[6:]
    rec = Login()
    conn = stomp.Connection12([(host, port)], heartbeats=(0, 0), auto_content_length=True)
    if tls:
        ca = tls[0]
        cert, key = (tls[1], tls[2]) if len(tls) >= 3 else (None, None)
        conn.set_ssl(for_hosts=[(host, port)], ca_certs=ca, cert_file=cert, key_file=key)
    conn.set_listener('recorder', rec)
    conn.connect(login, passcode, wait=False, headers={'host': '/'})
    rec.wait(lambda: rec.connected is not None, 'CONNECTED')

    conn.subscribe(destination=queue, id='sub', ack='client-individual', receipt='sub')
    rec.wait(lambda: 'sub' in rec.receipts, 'RECEIPT sub')
    for i in range(3):
        conn.send(destination=queue, body='py-%d' % i, headers={'receipt': 'send-%d' % i})
    rec.wait(lambda: all('send-%d' % i in rec.receipts for i in range(3)), 'RECEIPTs of the SENDs')
    rec.wait(lambda: len(rec.messages) >= 3, 'three messages')
    for m in rec.messages[:3]:
        conn.ack(m.headers['ack'])
    conn.disconnect(receipt='bye')
    finish({'received': [m.body for m in rec.messages], 'version': rec.connected.get('version')})


if __name__ == '__main__':
    main()
