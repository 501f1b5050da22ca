from odoo import api, fields, models

from .res_company import CLUB_SCORING_FIELDS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Not plain related fields: the weights are checked together on the
    # company, so they must be written in one go (see ``set_values``).
    club_window_months = fields.Integer(
        string="Scoring Window (months)",
        compute="_compute_club_scoring",
        store=True,
        readonly=False,
    )
    club_rfm_weight_recency = fields.Float(
        string="RFM Recency",
        compute="_compute_club_scoring",
        store=True,
        readonly=False,
        digits=(3, 4),
    )
    club_rfm_weight_frequency = fields.Float(
        string="RFM Frequency",
        compute="_compute_club_scoring",
        store=True,
        readonly=False,
        digits=(3, 4),
    )
    club_rfm_weight_monetary = fields.Float(
        string="RFM Monetary",
        compute="_compute_club_scoring",
        store=True,
        readonly=False,
        digits=(3, 4),
    )
    club_weight_cooperation = fields.Float(
        string="Cooperation", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_impression = fields.Float(
        string="Impression", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_viral = fields.Float(
        string="Viral", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_income = fields.Float(
        string="Income", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_length = fields.Float(
        string="Length", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_frequency = fields.Float(
        string="Frequency", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_opportunity = fields.Float(
        string="Opportunity", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_recency = fields.Float(
        string="Recency", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_money = fields.Float(
        string="Money", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_weight_debt = fields.Float(
        string="Debt", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_class_a_min = fields.Float(
        string="Class A from", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_class_b_min = fields.Float(
        string="Class B from", compute="_compute_club_scoring", store=True, readonly=False
    )
    club_point_cost = fields.Float(
        string="Cost per Point",
        compute="_compute_club_scoring",
        store=True,
        readonly=False,
        digits="Product Price",
    )
    club_churn_rate = fields.Float(related="company_id.club_churn_rate")
    club_churn_available = fields.Boolean(related="company_id.club_churn_available")
    club_scores_date = fields.Datetime(related="company_id.club_scores_date")

    @api.depends("company_id")
    def _compute_club_scoring(self):
        for settings in self:
            for fname in CLUB_SCORING_FIELDS:
                settings[fname] = settings.company_id[fname]

    def set_values(self):
        res = super().set_values()
        company = self.company_id
        vals = {
            fname: self[fname] for fname in CLUB_SCORING_FIELDS if self[fname] != company[fname]
        }
        if vals:
            company.write(vals)
        return res

    def action_club_compute_scores(self):
        self.ensure_one()
        self.execute()
        self.env["loyalty.club.score"].check_access("write")
        self.env["loyalty.club.score"]._compute_club_scores(companies=self.company_id)
        return {"type": "ir.actions.client", "tag": "reload"}
