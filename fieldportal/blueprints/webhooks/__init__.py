"""Incoming webhooks. CSRF-exempt: each verifies its own signature instead."""

import logging

import stripe
from flask import Blueprint, current_app, jsonify, request

from ...extensions import csrf, db
from ...services.billing import payments

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
    except payments.RetryLater as reason:
        db.session.rollback()
        log.info("Stripe event %s postponed: %s", event.id, reason)
        return jsonify(error="not ready, retry later"), 409
    db.session.commit()
    return jsonify(received=True, outcome=outcome)
