"""18.0.1.1.0: the email channel.

Sources of newsletters and mailings counted as "Other" so far: the sources
the new email rules match (Newsletter, Email, Mailing, ...) move to the
email channel; their leads' channel follows (stored compute)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    newsletter = env.ref("utm.utm_source_newsletter", raise_if_not_found=False)
    if not newsletter:
        return
    rules = env["lead.tracking.source.rule"].search([("source_id", "=", newsletter.id)])
    sources = env["utm.source"].search([("channel", "=", "other")])
    email_sources = sources.filtered(
        lambda source: source == newsletter or any(rule._matches(source.name) for rule in rules)
    )
    if email_sources:
        email_sources.write({"channel": "email"})
