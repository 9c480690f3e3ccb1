"""A webhook receiver run as its own process by the tests: it checks every delivery's signature and timestamp,
answers 500 to the first `--fail-first` requests (then `--status`), and appends one JSON line per request to `--log`.

    python receiver.py --port 8123 --secret s3cret --log /tmp/received.jsonl --fail-first 1
"""

import argparse
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_AGE_SECONDS = 300


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--status", type=int, default=200)
    args = parser.parse_args()
    seen = {"requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            timestamp = self.headers.get("X-Deploydesk-Timestamp", "")
            received = self.headers.get("X-Deploydesk-Signature", "")
            expected = (
                "sha256=" + hmac.new(args.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            )
            signature_ok = hmac.compare_digest(expected, received)
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < MAX_AGE_SECONDS
            seen["requests"] += 1
            if not (signature_ok and fresh):
                status = 401
            elif seen["requests"] <= args.fail_first:
                status = 500
            else:
                status = args.status
            entry = {
                "n": seen["requests"],
                "path": self.path,
                "event": self.headers.get("X-Deploydesk-Event"),
                "delivery": self.headers.get("X-Deploydesk-Delivery"),
                "timestamp": timestamp,
                "signature_ok": signature_ok,
                "fresh": fresh,
                "content_type": self.headers.get("Content-Type"),
                "status": status,
                "body": json.loads(body or b"null"),
            }
            with open(args.log, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):  # quiet: the log file is the record
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
