"""Incoming webhooks. CSRF-exempt: each verifies its own signature instead. What an event
changes is committed by the commit point (fieldportal/transaction.py) with the 200 answer,
or rolled back with a 4xx."""

import logging

import stripe
from flask import Blueprint, current_app, jsonify, request

from ...extensions import csrf
from ...services.billing import payments
from ...services.errors import Conflict

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_SECONDS = 300


@bp.post("/stripe")
@csrf.exempt
def stripe_webhook():
    """Verify the Stripe-Signature on the raw body, then apply the event exactly once."""
    payload = request.get_data(cache=False)
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    try:
        event = stripe.Webhook.construct_event(
            payload,
            request.headers.get("Stripe-Signature"),
            secret,
            tolerance=SIGNATURE_TOLERANCE_SECONDS,
        )
    except (ValueError, stripe.SignatureVerificationError):
        return jsonify(error="invalid signature"), 400
    try:
        outcome = payments.handle_event(event.to_dict())
    except Conflict as reason:
        # Answered 409, so the commit point rolls back and the event stays unprocessed.
        log.info("Stripe event %s postponed: %s", event.id, reason)
        return jsonify(error="not ready, retry later"), 409
    return jsonify(received=True, outcome=outcome)
