#!/usr/bin/env python3
"""Take thumbnail jobs one at a time: ack when done, retry later on a temporary failure, dead-letter on
a permanent one (the reason is kept in the dead letter's headers).

Usage: worker.py [--host H] [--port P] [--retry-after MS] [--jobs N]
  --jobs N: exit after N outcomes (done, retry or failed), else run until interrupted.
"""
import argparse
import json
import threading

import stomp


class TemporaryError(Exception):
    pass


def make_thumbnail(image, attempt):
    """Stands in for the real work: *.tmp images fail on their first attempt, non-JPEGs always."""
    if image.endswith(".tmp") and attempt == 0:
        raise TemporaryError("storage busy")
    if not image.endswith((".jpg", ".tmp")):
        raise ValueError("not a JPEG")
    print("thumbnail made for", image, flush=True)


class Worker(stomp.ConnectionListener):
    def __init__(self, conn, retry_after, jobs):
        self.conn, self.retry_after, self.jobs = conn, retry_after, jobs
        self.outcomes = 0
        self.done = threading.Event()

    def on_message(self, frame):
        ack_id = frame.headers["ack"]
        attempt = int(frame.headers.get("x-delivery-count", "0"))
        image = json.loads(frame.body)["image"]
        try:
            make_thumbnail(image, attempt)
            self.conn.ack(ack_id)
        except TemporaryError as e:                     # "retry in a while"
            print("retry later:", image, e, flush=True)
            self.conn.nack(ack_id, **{"retry-after": str(self.retry_after), "message": str(e)})
        except Exception as e:                          # give up: to /queue/DLQ.thumbnails
            print("failed for good:", image, e, flush=True)
            self.conn.nack(ack_id, **{"requeue": "false", "message": str(e)})
        self.outcomes += 1
        if self.jobs and self.outcomes >= self.jobs:
            self.done.set()


args = argparse.ArgumentParser()
args.add_argument("--host", default="127.0.0.1")
args.add_argument("--port", type=int, default=61613)
args.add_argument("--retry-after", type=int, default=30000)
args.add_argument("--jobs", type=int, default=0)
opts = args.parse_args()

conn = stomp.Connection12([(opts.host, opts.port)], heartbeats=(10000, 10000))
worker = Worker(conn, opts.retry_after, opts.jobs)
conn.set_listener("worker", worker)
conn.connect(wait=True)
conn.subscribe("/queue/thumbnails", id="w", ack="client-individual",
               headers={"prefetch-count": "1"})        # one job at a time
worker.done.wait(None if not opts.jobs else 120)
conn.disconnect(receipt="bye")
