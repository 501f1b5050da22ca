from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

# CIVILFORMD criteria, in the order of the acronym: (key, label)
CIVILFORMD_CRITERIA = (
    ("cooperation", "Cooperation"),
    ("impression", "Impression"),
    ("viral", "Viral"),
    ("income", "Income"),
    ("length", "Length"),
    ("frequency", "Frequency"),
    ("opportunity", "Opportunity"),
    ("recency", "Recency"),
    ("money", "Money"),
    ("debt", "Debt"),
)
RFM_WEIGHT_FIELDS = (
    "club_rfm_weight_recency",
    "club_rfm_weight_frequency",
    "club_rfm_weight_monetary",
)
CIVILFORMD_WEIGHT_FIELDS = tuple(f"club_weight_{key}" for key, _label in CIVILFORMD_CRITERIA)
CLUB_SCORING_FIELDS = (
    "club_window_months",
    *RFM_WEIGHT_FIELDS,
    *CIVILFORMD_WEIGHT_FIELDS,
    "club_class_a_min",
    "club_class_b_min",
    "club_point_cost",
)


class ResCompany(models.Model):
    _inherit = "res.company"

    # Scoring window
    club_window_months = fields.Integer(
        string="Scoring Window (months)",
        default=12,
        help="Customer value scores look at the posted customer invoices of the last N months.",
    )
    # RFM weights (fractions summing to 1)
    club_rfm_weight_recency = fields.Float(string="RFM Weight: Recency", default=0.4, digits=(3, 4))
    club_rfm_weight_frequency = fields.Float(
        string="RFM Weight: Frequency", default=0.3, digits=(3, 4)
    )
    club_rfm_weight_monetary = fields.Float(
        string="RFM Weight: Monetary", default=0.3, digits=(3, 4)
    )
    # CIVILFORMD weights (percentages summing to 100)
    club_weight_cooperation = fields.Float(string="Weight: Cooperation (%)", default=10.0)
    club_weight_impression = fields.Float(string="Weight: Impression (%)", default=10.0)
    club_weight_viral = fields.Float(string="Weight: Viral (%)", default=10.0)
    club_weight_income = fields.Float(string="Weight: Income (%)", default=10.0)
    club_weight_length = fields.Float(string="Weight: Length (%)", default=10.0)
    club_weight_frequency = fields.Float(string="Weight: Frequency (%)", default=10.0)
    club_weight_opportunity = fields.Float(string="Weight: Opportunity (%)", default=10.0)
    club_weight_recency = fields.Float(string="Weight: Recency (%)", default=10.0)
    club_weight_money = fields.Float(string="Weight: Money (%)", default=10.0)
    club_weight_debt = fields.Float(string="Weight: Debt (%)", default=10.0)
    club_class_a_min = fields.Float(
        string="Class A from Score",
        default=60.0,
        help="Customers whose CIVILFORMD score reaches this value are class A.",
    )
    club_class_b_min = fields.Float(
        string="Class B from Score",
        default=35.0,
        help="Customers whose CIVILFORMD score reaches this value (but not class A) are "
        "class B; the others are class C.",
    )
    # Points liability
    club_point_cost = fields.Float(
        string="Cost per Point",
        default=0.01,
        digits="Product Price",
        help="What one loyalty point costs the company, in the company currency. "
        "The points liability report values open points with it.",
    )
    # Results of the last scoring run (company level)
    club_churn_rate = fields.Float(
        string="Churn Rate",
        readonly=True,
        digits=(3, 4),
        help="Customers who bought in the previous window and not in the current one, "
        "divided by the customers who bought in the previous window.",
    )
    club_churn_available = fields.Boolean(readonly=True)
    club_customers_previous = fields.Integer(string="Customers in Previous Window", readonly=True)
    club_customers_lost = fields.Integer(string="Customers Lost", readonly=True)
    club_scores_date = fields.Datetime(string="Scores Computed On", readonly=True)

    @api.constrains(*RFM_WEIGHT_FIELDS)
    def _check_club_rfm_weights(self):
        for company in self:
            weights = [company[fname] for fname in RFM_WEIGHT_FIELDS]
            if any(weight < 0 or weight > 1 for weight in weights):
                raise ValidationError(
                    _("RFM weights of %(company)s must lie between 0 and 1.", company=company.name)
                )
            if float_compare(sum(weights), 1.0, precision_digits=4):
                raise ValidationError(
                    _(
                        "The RFM weights of %(company)s must sum to 1 (they sum to %(total)s).",
                        company=company.name,
                        total=round(sum(weights), 4),
                    )
                )

    @api.constrains(*CIVILFORMD_WEIGHT_FIELDS)
    def _check_club_civilformd_weights(self):
        for company in self:
            weights = [company[fname] for fname in CIVILFORMD_WEIGHT_FIELDS]
            if any(weight < 0 for weight in weights):
                raise ValidationError(
                    _("CIVILFORMD weights of %(company)s cannot be negative.", company=company.name)
                )
            if float_compare(sum(weights), 100.0, precision_digits=2):
                raise ValidationError(
                    _(
                        "The CIVILFORMD weights of %(company)s must sum to 100 %% "
                        "(they sum to %(total)s %%).",
                        company=company.name,
                        total=round(sum(weights), 2),
                    )
                )

    @api.constrains("club_window_months", "club_class_a_min", "club_class_b_min", "club_point_cost")
    def _check_club_settings(self):
        for company in self:
            if company.club_window_months < 1 or company.club_window_months > 120:
                raise ValidationError(_("The scoring window must be between 1 and 120 months."))
            if not 0 <= company.club_class_b_min <= company.club_class_a_min <= 100:
                raise ValidationError(
                    _(
                        "Class cut-offs must satisfy 0 <= class B <= class A <= 100 "
                        "(got B %(b)s, A %(a)s).",
                        a=company.club_class_a_min,
                        b=company.club_class_b_min,
                    )
                )
            if company.club_point_cost < 0:
                raise ValidationError(_("The cost per point cannot be negative."))
