#!/usr/bin/env python3
"""Print the dead letters of /queue/DLQ.thumbnails with why they failed, and acknowledge them.

Usage: dead-letters.py [--host H] [--port P] [--count N]   (stops after N, or when none comes for 2 s)
"""
import argparse
import json
import queue

import stomp

args = argparse.ArgumentParser()
args.add_argument("--host", default="127.0.0.1")
args.add_argument("--port", type=int, default=61613)
args.add_argument("--count", type=int, default=0)
opts = args.parse_args()

got = queue.Queue()


class Reader(stomp.ConnectionListener):
    def on_message(self, frame):
        got.put(frame)


conn = stomp.Connection12([(opts.host, opts.port)])
conn.set_listener("dlq", Reader())
conn.connect(wait=True)
conn.subscribe("/queue/DLQ.thumbnails", id="dlq", ack="client-individual")
seen = 0
while not opts.count or seen < opts.count:
    try:
        frame = got.get(timeout=2)
    except queue.Empty:
        break
    h = frame.headers
    print(json.dumps({"job": json.loads(frame.body), "from": h["original-destination"],
                      "reason": h["dead-letter-reason"], "failures": json.loads(h["failure-history"])}), flush=True)
    conn.ack(h["ack"])
    seen += 1
conn.disconnect(receipt="bye")
