from odoo import _, api, models
from odoo.exceptions import UserError

POSTAL_CHANNELS = ("card", "letter", "gift")


class ReportTouchPlanLabels(models.AbstractModel):
    """Address labels and a packing list for a batch of cards, letters and gifts."""

    _name = "report.touch_plan.report_touch_plan_labels"
    _description = "Touch Plan Address Labels"

    @api.model
    def _get_touches(self, docids):
        return self.env["touch.plan.touch"].browse(docids)

    @api.model
    def _get_missing_address_fields(self, partner):
        """Labels of the address fields a postal label needs and ``partner`` lacks."""
        fields = partner._fields
        missing = []
        if not (partner.street or partner.street2):
            missing.append(fields["street"].get_description(self.env)["string"])
        if not partner.city:
            missing.append(fields["city"].get_description(self.env)["string"])
        if not partner.zip and (not partner.country_id or partner.country_id.zip_required):
            missing.append(fields["zip"].get_description(self.env)["string"])
        if partner.country_id.state_required and not partner.state_id:
            missing.append(fields["state_id"].get_description(self.env)["string"])
        if not partner.country_id:
            missing.append(fields["country_id"].get_description(self.env)["string"])
        return missing

    @api.model
    def _get_report_values(self, docids, data=None):
        touches = self._get_touches(docids).filtered(lambda t: t.channel in POSTAL_CHANNELS)
        if not touches:
            raise UserError(
                _("Select touches sent by post (cards, letters or gifts) to print labels.")
            )
        touches = touches.sorted(lambda t: (t.partner_id.display_name or "", t.scheduled_date))
        labels, incomplete = [], []
        seen = set()
        for partner in touches.partner_id:
            if partner.id in seen:
                continue
            seen.add(partner.id)
            missing = self._get_missing_address_fields(partner)
            if missing:
                incomplete.append({"partner": partner, "missing": ", ".join(missing)})
            else:
                labels.append(partner)
        complete_ids = {partner.id for partner in labels}
        return {
            "doc_ids": touches.ids,
            "doc_model": "touch.plan.touch",
            "docs": touches,
            "labels": labels,
            "incomplete": incomplete,
            "complete_ids": complete_ids,
        }


class ReportTouchPlanActivityLabels(models.AbstractModel):
    """The same labels printed from the reps' activities of postal touches."""

    _name = "report.touch_plan.report_touch_plan_activity_labels"
    _inherit = "report.touch_plan.report_touch_plan_labels"
    _description = "Touch Plan Address Labels from Activities"

    @api.model
    def _get_touches(self, docids):
        activities = self.env["mail.activity"].browse(docids)
        return activities.touch_plan_touch_id
