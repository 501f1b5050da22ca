from odoo import _, models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        """Keep one running enrollment per plan; done touches all follow the contact."""
        self._merge_touch_plan_enrollments(src_partners, dst_partner)
        res = super()._update_foreign_keys(src_partners, dst_partner)
        self.env["touch.plan.enrollment"].sudo().search(
            [("res_model", "=", "res.partner"), ("res_id", "in", src_partners.ids)]
        ).write({"res_id": dst_partner.id})
        return res

    def _merge_touch_plan_enrollments(self, src_partners, dst_partner):
        enrollments = (
            self.env["touch.plan.enrollment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", (src_partners | dst_partner).ids),
                    ("state", "in", ("active", "paused")),
                ],
                order="date_start, id",
            )
        )
        for plan_enrollments in enrollments.grouped("plan_id").values():
            if len(plan_enrollments) < 2:
                continue
            kept = (
                plan_enrollments.filtered(lambda e: e.res_id == dst_partner.id)[:1]
                or plan_enrollments[0]
            )
            (plan_enrollments - kept)._end(
                "cancelled",
                _("Merged into the enrollment of %(partner)s", partner=dst_partner.display_name),
            )
