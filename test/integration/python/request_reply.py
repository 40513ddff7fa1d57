#!/usr/bin/env python3
"""Request/reply over a temporary queue with stomp.py (python3-stomp), as RabbitMQ documents it.

Usage: request_reply.py HOST PORT REQUEST_QUEUE

A responder subscribes to REQUEST_QUEUE and answers every request to its `reply-to`. A requester
sends 3 requests with `reply-to:/temp-queue/replies`: the broker subscribes it to that temporary queue
(subscription id /temp-queue/replies) and rewrites `reply-to` to the queue's public name. Prints one
JSON line: the replies the requester got, the subscription they came on, and the reply-to the responder
saw. Every wait has a timeout only as a guard against hanging.
"""
import json
import sys

import stomp

from recorder import Recorder


def wait_for(inbox, n):
    """Waits until `inbox` holds n messages; exits with the reason when it does not."""
    if not inbox.wait_until(lambda: len(inbox.messages) >= n, stop_on_close=False):
        raise SystemExit(f"only {len(inbox.messages)} of {n} messages")
    if inbox.errors:
        raise SystemExit(f"ERROR: {inbox.errors}")


def main():
    host, port, requests = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    responder = stomp.Connection12([(host, port)])
    answers = Recorder()
    responder.set_listener('r', answers)
    responder.connect(wait=True)

    class Answerer(stomp.ConnectionListener):
        def on_message(self, frame):
            responder.send(frame.headers['reply-to'], 'reply to ' + frame.body)
            answers.on_message(frame)

    responder.set_listener('answerer', Answerer())
    responder.remove_listener('r')
    responder.subscribe(requests, id='req', ack='auto')

    requester = stomp.Connection12([(host, port)])
    replies = Recorder()
    requester.set_listener('q', replies)
    requester.connect(wait=True)
    for i in range(3):
        requester.send(requests, f'q{i}', headers={'reply-to': '/temp-queue/replies'})
    wait_for(replies, 3)
    wait_for(answers, 3)
    print(json.dumps({
        'replies': [f.body for f in replies.messages],
        'subscriptions': sorted({f.headers.get('subscription') for f in replies.messages}),
        'destinations': sorted({f.headers.get('destination') for f in replies.messages}),
        'reply_to_seen': sorted({f.headers.get('reply-to', '') for f in answers.messages}),
    }))
    requester.disconnect()
    responder.disconnect()


if __name__ == '__main__':
    main()
