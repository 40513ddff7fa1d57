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
import threading

import stomp

GUARD = 20.0


class Inbox(stomp.ConnectionListener):
    def __init__(self):
        self.cond = threading.Condition()
        self.frames = []
        self.errors = []

    def on_message(self, frame):
        with self.cond:
            self.frames.append(frame)
            self.cond.notify_all()

    def on_error(self, frame):
        with self.cond:
            self.errors.append(frame.body)
            self.cond.notify_all()

    def wait_for(self, n):
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.frames) >= n or self.errors, GUARD):
                raise SystemExit(f"only {len(self.frames)} of {n} messages")
            if self.errors:
                raise SystemExit(f"ERROR: {self.errors}")


def main():
    host, port, requests = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    responder = stomp.Connection12([(host, port)])
    answers = Inbox()
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
    replies = Inbox()
    requester.set_listener('q', replies)
    requester.connect(wait=True)
    for i in range(3):
        requester.send(requests, f'q{i}', headers={'reply-to': '/temp-queue/replies'})
    replies.wait_for(3)
    answers.wait_for(3)
    print(json.dumps({
        'replies': [f.body for f in replies.frames],
        'subscriptions': sorted({f.headers.get('subscription') for f in replies.frames}),
        'destinations': sorted({f.headers.get('destination') for f in replies.frames}),
        'reply_to_seen': sorted({f.headers.get('reply-to', '') for f in answers.frames}),
    }))
    requester.disconnect()
    responder.disconnect()


if __name__ == '__main__':
    main()
