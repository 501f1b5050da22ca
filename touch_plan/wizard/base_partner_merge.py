from odoo import models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_foreign_keys(self, src_partners, dst_partner):
        """Enrollments follow the surviving contact, one running per plan."""
        src_partners.sudo()._touch_plan_merge_into(dst_partner.sudo())
        return super()._update_foreign_keys(src_partners, dst_partner)
