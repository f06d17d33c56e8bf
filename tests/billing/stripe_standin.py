"""A local HTTP server standing in for the Stripe API, and Stripe-style webhook signing.

The real ``stripe`` library talks to it (STRIPE_API_BASE), so the requests we send are
checked as Stripe would receive them: form-encoded params, Idempotency-Key header.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test_standin_secret"


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header value: t=…,v1=HMAC-SHA256("t.payload")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (a[b][0][c]=x) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part, following in zip(parts, parts[1:] + [None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_lists(node[key]) for key in sorted(node, key=int)]
        return {key: _lists(value) for key, value in node.items()}
    return node


class StripeStandIn:
    """Serves POST /v1/checkout/sessions and GET /v1/checkout/sessions/<id>, and a
    hosted-Checkout look-alike at /pay/<session id> for browser tests: paying there
    redirects to the success URL and then (after ``webhook_delay`` seconds) posts a
    signed ``checkout.session.completed`` event to ``webhook_url``."""

    webhook_url: str | None = None
    webhook_delay: float = 1.5

    def __init__(self):
        self.sessions: dict[str, dict] = {}
        self.requests: list[dict] = []
        self._by_key: dict[str, dict] = {}
        self._ids = count(1)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                params = unflatten(parse_qsl(self.rfile.read(length).decode()))
                key = self.headers.get("Idempotency-Key")
                standin.requests.append(
                    {
                        "path": self.path,
                        "params": params,
                        "idempotency_key": key,
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                if self.path.startswith("/pay/"):
                    return standin.pay(self, self.path.rsplit("/", 1)[-1])
                if self.path != "/v1/checkout/sessions":
                    return self._reply(404, {"error": {"message": "no such route"}})
                if key and key in standin._by_key:
                    return self._reply(200, standin._by_key[key])
                session = standin.make_session(params)
                if key:
                    standin._by_key[key] = session
                self._reply(200, session)

            def do_GET(self):
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return None
                if self.path.startswith("/pay/"):
                    return standin.pay_page(self, self.path.rsplit("/", 1)[-1])
                session = standin.sessions.get(self.path.rsplit("/", 1)[-1])
                if session is None:
                    return self._reply(404, {"error": {"message": "no such session"}})
                self._reply(200, session)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def make_session(self, params: dict) -> dict:
        n = next(self._ids)
        session_id = f"cs_test_{n:06d}"
        amount = sum(
            int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
            for item in params.get("line_items", [])
        )
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"{self.url}/pay/{session_id}",
            "amount_total": amount,
            "currency": params["line_items"][0]["price_data"]["currency"],
            "metadata": params.get("metadata", {}),
            "client_reference_id": params.get("client_reference_id"),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "payment_status": "unpaid",
            "status": "open",
            "payment_intent": f"pi_test_{n:06d}",
        }
        self.sessions[session_id] = session
        return session

    def pay_page(self, handler, session_id: str):
        session = self.sessions.get(session_id)
        if session is None:
            handler.send_error(404)
            return
        amount = f"{session['amount_total'] / 100:.2f}"
        body = (
            "<!doctype html><html lang=en><title>Stand-in Checkout</title>"
            f"<h1>Stand-in Checkout</h1><p>Amount: {amount} {session['currency'].upper()}</p>"
            f"<form method=post action='/pay/{session_id}'><button>Pay {amount}</button></form>"
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def pay(self, handler, session_id: str):
        session = self.sessions.get(session_id)
        if session is None:
            handler.send_error(404)
            return
        paid = completed_session(session)
        self.sessions[session_id] = paid
        handler.send_response(303)
        handler.send_header("Location", session["success_url"])
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        if self.webhook_url:
            threading.Timer(self.webhook_delay, self.deliver, args=(paid,)).start()

    def deliver(self, session: dict) -> int:
        """POST a signed checkout.session.completed for this session to webhook_url."""
        import urllib.request

        payload = event_payload("checkout.session.completed", session, f"evt_{session['id']}")
        request = urllib.request.Request(
            self.webhook_url,
            data=payload.encode(),
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local test server
            return response.status

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def event_payload(event_type: str, obj: dict, event_id: str) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2025-01-01",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def completed_session(session: dict, **changes) -> dict:
    """The session as Stripe sends it in checkout.session.completed once paid."""
    return {**session, "payment_status": "paid", "status": "complete", **changes}


def refunded_charge(session: dict, amount_refunded: int) -> dict:
    return {
        "id": "ch_" + session["id"],
        "object": "charge",
        "payment_intent": session["payment_intent"],
        "amount": session["amount_total"],
        "amount_refunded": amount_refunded,
        "currency": session["currency"],
        "refunded": amount_refunded >= session["amount_total"],
        "metadata": session["metadata"],
    }
