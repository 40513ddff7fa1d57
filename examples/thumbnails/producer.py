#!/usr/bin/env python3
"""Enqueue one thumbnail job per image, persistently, and wait until each is on disk.

Usage: producer.py [--host H] [--port P] IMAGE...   (Debian: python3-stomp)
"""
import argparse
import json

import stomp

args = argparse.ArgumentParser()
args.add_argument("--host", default="127.0.0.1")
args.add_argument("--port", type=int, default=61613)
args.add_argument("images", nargs="+")
opts = args.parse_args()

conn = stomp.Connection12([(opts.host, opts.port)])
conn.connect(wait=True)
for i, image in enumerate(opts.images):
    conn.send("/queue/thumbnails", json.dumps({"image": image}),
              headers={"persistent": "true", "content-type": "application/json"},
              receipt=f"job-{i}")          # the RECEIPT means the job is on disk
conn.disconnect(receipt="bye")             # returns once every job above has been accepted
print(f"enqueued {len(opts.images)} jobs")
