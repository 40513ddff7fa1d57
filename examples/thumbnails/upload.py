#!/usr/bin/env python3
"""The web side of the thumbnail job queue: a page to upload images; each upload is saved and enqueued
as a persistent job (the HTTP answer comes once the broker's RECEIPT says the job is on disk).

Usage: upload.py [--host H] [--port P] [--http-port 8000] [--uploads DIR] [--console URL]
  Prints "serving on http://127.0.0.1:PORT/" (--http-port 0 picks a free port). POST /upload with the
  image as the body and its name in ?name=... (the page does so with fetch; curl: --data-binary @a.jpg).
"""
import argparse
import html
import json
import os
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import stomp

MAX_UPLOAD = 16 * 1024 * 1024

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Thumbnails</title>
<style>body{font:15px system-ui,sans-serif;max-width:40rem;margin:2rem auto}li{margin:.2rem 0}</style></head>
<body><h1>Make thumbnails</h1>
<p><input type="file" id="files" multiple accept="image/*"> <button id="go">Upload</button></p>
<ul id="queued"></ul>
<p>Workers take the jobs from <code>/queue/thumbnails</code>; failures land in
<a href="%(dlq)s">/queue/DLQ.thumbnails</a> (the broker's console, with --http-port 8161).</p>
<script>
document.getElementById('go').onclick = async () => {
  for (const file of document.getElementById('files').files) {
    const res = await fetch('/upload?name=' + encodeURIComponent(file.name), { method: 'POST', body: file });
    const li = document.createElement('li');
    li.textContent = res.ok ? 'queued ' + (await res.json()).image : 'refused: ' + await res.text();
    document.getElementById('queued').append(li);
  }
};
</script></body></html>
"""


class Jobs:
    """One STOMP connection shared by the request threads; each job waits for its own RECEIPT."""

    def __init__(self, host, port):
        self.cond = threading.Condition()
        self.sending = threading.Lock()  # request threads share the connection
        self.receipts = set()
        self.conn = stomp.Connection12([(host, port)], heartbeats=(10000, 10000))
        self.conn.set_listener("receipts", self)
        self.conn.connect(wait=True)

    def on_receipt(self, frame):
        with self.cond:
            self.receipts.add(frame.headers["receipt-id"])
            self.cond.notify_all()

    def enqueue(self, job):
        receipt = str(uuid.uuid4())
        with self.sending:
            self.conn.send("/queue/thumbnails", json.dumps(job), receipt=receipt,
                           headers={"persistent": "true", "content-type": "application/json"})
        with self.cond:
            if not self.cond.wait_for(lambda: receipt in self.receipts, timeout=30):
                raise TimeoutError("the broker did not confirm the job")
            self.receipts.discard(receipt)


def handler(jobs, uploads, console):
    class Upload(BaseHTTPRequestHandler):
        def do_GET(self):
            if urlparse(self.path).path != "/":
                return self.answer(404, "text/plain", b"not found\n")
            dlq = html.escape(console.rstrip("/") + "/#/destination/%2Fqueue%2FDLQ.thumbnails")
            self.answer(200, "text/html; charset=utf-8", (PAGE % {"dlq": dlq}).encode())

        def do_POST(self):
            url = urlparse(self.path)
            name = os.path.basename(parse_qs(url.query).get("name", [""])[0])
            size = int(self.headers.get("content-length") or 0)
            if url.path != "/upload" or not re.fullmatch(r"[\w.-]{1,100}", name) or not 0 < size <= MAX_UPLOAD:
                return self.answer(400, "text/plain", b"POST /upload?name=IMAGE with the image as the body\n")
            path = os.path.join(uploads, f"{uuid.uuid4().hex}-{name}")
            with open(path, "wb") as out:
                out.write(self.rfile.read(size))
            jobs.enqueue({"image": name, "path": path})
            self.answer(202, "application/json", json.dumps({"image": name}).encode())

        def answer(self, status, kind, body):
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Upload


args = argparse.ArgumentParser()
args.add_argument("--host", default="127.0.0.1")
args.add_argument("--port", type=int, default=61613)
args.add_argument("--http-port", type=int, default=8000)
args.add_argument("--uploads", default="uploads")
args.add_argument("--console", default="http://127.0.0.1:8161/")
opts = args.parse_args()

os.makedirs(opts.uploads, exist_ok=True)
server = ThreadingHTTPServer(("127.0.0.1", opts.http_port), handler(Jobs(opts.host, opts.port), opts.uploads, opts.console))
print(f"serving on http://127.0.0.1:{server.server_address[1]}/", flush=True)
server.serve_forever()
