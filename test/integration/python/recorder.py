"""What the broker sent one stomp.py connection, for the test scripts beside this file to wait on.

Every wait has a timeout only as a guard against hanging, never as an assertion on speed.
"""
import threading

import stomp

GUARD = 20.0  # seconds


class Recorder(stomp.ConnectionListener):
    """Collects CONNECTED's headers and the MESSAGE, RECEIPT and ERROR frames; wakes waiters on each."""

    def __init__(self):
        self.cond = threading.Condition()
        self.connected = None  # CONNECTED's headers, once it came
        self.messages = []
        self.receipts = []
        self.errors = []  # (message header, body) of every ERROR
        self.disconnected = False

    def _record(self, change):
        with self.cond:
            change()
            self.cond.notify_all()

    def on_connected(self, frame):
        self._record(lambda: setattr(self, 'connected', dict(frame.headers)))

    def on_message(self, frame):
        self._record(lambda: self.messages.append(frame))

    def on_receipt(self, frame):
        self._record(lambda: self.receipts.append(frame.headers.get('receipt-id')))

    def on_error(self, frame):
        self._record(lambda: self.errors.append((frame.headers.get('message'), frame.body)))

    def on_disconnected(self):
        self._record(lambda: setattr(self, 'disconnected', True))

    def wait_until(self, predicate, stop_on_close=True):
        """Waits for predicate(), an ERROR or (with stop_on_close) a close; False when the guard ran out."""
        with self.cond:
            return self.cond.wait_for(
                lambda: predicate() or self.errors or (stop_on_close and self.disconnected), timeout=GUARD)
