import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class LeadTrackingSourceRule(models.Model):
    _name = "lead.tracking.source.rule"
    _description = "Source Mapping Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    pattern = fields.Char(
        required=True,
        help="Text to look for in an incoming source name (UTM cookie, import).",
    )
    match_type = fields.Selection(
        [
            ("contains", "Contains"),
            ("exact", "Is exactly"),
            ("regex", "Regular expression"),
        ],
        default="contains",
        required=True,
        help="Matching ignores case.",
    )
    source_id = fields.Many2one(
        "utm.source",
        string="Source",
        required=True,
        ondelete="cascade",
        help="The clean source the matching names are mapped onto.",
    )
    channel = fields.Selection(related="source_id.channel")

    @api.constrains("pattern", "match_type")
    def _check_pattern(self):
        for rule in self:
            if not (rule.pattern or "").strip():
                raise ValidationError(_("A mapping rule needs a pattern."))
            if rule.match_type == "regex":
                try:
                    re.compile(rule.pattern)
                except re.error as error:
                    raise ValidationError(
                        _(
                            "The pattern %(pattern)s is not a valid regular expression: %(error)s",
                            pattern=rule.pattern,
                            error=error,
                        )
                    )

    def _matches(self, name):
        self.ensure_one()
        name = (name or "").strip().lower()
        pattern = self.pattern.strip().lower()
        if self.match_type == "exact":
            return name == pattern
        if self.match_type == "regex":
            return bool(re.search(self.pattern, name, re.IGNORECASE))
        return pattern in name

    @api.model
    def _map_source_name(self, name):
        """Return the source the first matching rule maps ``name`` onto."""
        if not name or not name.strip():
            return self.env["utm.source"]
        for rule in self.sudo().search([]):
            if rule._matches(name):
                return rule.source_id
        return self.env["utm.source"]

    def action_apply_to_existing(self):
        """Move leads from messy sources onto the rules' clean sources."""
        sources = self.env["utm.source"].search([("id", "not in", self.source_id.ids)])
        mapping = {}
        for source in sources:
            target = next((rule.source_id for rule in self if rule._matches(source.name)), None)
            if target:
                mapping.setdefault(target, self.env["utm.source"])
                mapping[target] |= source
        Lead = self.env["crm.lead"].with_context(
            active_test=False, lead_tracking_force_first_touch=True
        )
        count = 0
        for target, messy in mapping.items():
            for fname in ("source_id", "first_touch_source_id"):
                leads = Lead.search([(fname, "in", messy.ids)])
                leads.write({fname: target.id})
                count += len(leads)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(count)s lead sources moved onto clean sources.",
                    count=count,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
