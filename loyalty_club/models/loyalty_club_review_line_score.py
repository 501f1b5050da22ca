from odoo import api, fields, models
from odoo.tools import SQL

from .loyalty_club_score import VALUE_CLASSES

SNAPSHOT_FIELDS = ["rfm_score", "rfm_segment_id", "civilformd_score", "value_class", "clv"]


class LoyaltyClubReviewLine(models.Model):
    _inherit = "loyalty.club.review.line"

    # Snapshot of the member's value scores at the review
    rfm_score = fields.Float(string="RFM Score", aggregator="avg")
    rfm_segment_id = fields.Many2one("loyalty.club.segment", string="RFM Segment")
    civilformd_score = fields.Float(string="CIVILFORMD Score", aggregator="avg")
    value_class = fields.Selection(VALUE_CLASSES, string="Value Class")
    clv = fields.Float(string="CLV")


class LoyaltyClubReview(models.Model):
    _inherit = "loyalty.club.review"

    @api.model_create_multi
    def create(self, vals_list):
        reviews = super().create(vals_list)
        # a review created without lines gets its snapshot when they are added
        reviews.filtered("line_ids")._club_snapshot_scores()
        return reviews

    def _club_insert_lines(self, vals_list):
        """The lines are inserted with their score snapshot (no UPDATE of them after)."""
        self.ensure_one()
        snapshot = self._club_snapshot_values(
            {vals["partner_id"] for vals in vals_list if vals.get("partner_id")}
        )
        return super()._club_insert_lines(
            [{**snapshot.get(vals.get("partner_id"), {}), **vals} for vals in vals_list]
        )

    def _club_snapshot_values(self, partner_ids):
        """The score snapshot of members of this review, read in one query: the
        values :meth:`_club_snapshot_scores` copies, as line values.

        :return: ``{partner_id: {field: value}}``
        """
        self.ensure_one()
        if not partner_ids:
            return {}
        company = self.company_id or self.env.company
        self.env["loyalty.club.score"]._club_ensure_scores(company, self.date)
        self.env.cr.execute(
            SQL(
                """
                SELECT rp.id, s.rfm_score, s.segment_id, s.civilformd_score, s.value_class,
                       CASE WHEN s.clv_available THEN s.clv ELSE 0 END
                  FROM res_partner rp
                  JOIN loyalty_club_score s
                    ON s.partner_id = COALESCE(rp.commercial_partner_id, rp.id)
                   AND s.company_id = %(company)s
                 WHERE rp.id = ANY(%(partners)s)
                """,
                company=company.id,
                partners=list(partner_ids),
            )
        )
        return {
            partner_id: dict(zip(SNAPSHOT_FIELDS, values, strict=True))
            for partner_id, *values in self.env.cr.fetchall()
        }

    def _club_snapshot_scores(self, lines=None):
        """Copy the members' scores on each review's date into the review lines (all of
        them, or only ``lines``), in one UPDATE.

        The customers of each review's company are scored on the review date first,
        unless they already were that day (:meth:`loyalty.club.score._club_ensure_scores`:
        a review in batches, or right after the nightly scoring, does not score the
        company again). A member's scores are those of its commercial entity in the
        club's company; the CLV is 0 when it is not available (no churn).
        """
        if not self:
            return
        Score = self.env["loyalty.club.score"]
        for review in self:
            Score._club_ensure_scores(review.company_id or self.env.company, review.date)
        Line = self.env["loyalty.club.review.line"]
        Line.flush_model()
        line_filter = SQL("TRUE")
        if lines is not None:
            if not lines:
                return
            line_filter = SQL("line.id IN %s", tuple(lines.ids))
        self.env.cr.execute(
            SQL(
                """
                UPDATE loyalty_club_review_line line
                   SET rfm_score = s.rfm_score,
                       rfm_segment_id = s.segment_id,
                       civilformd_score = s.civilformd_score,
                       value_class = s.value_class,
                       clv = CASE WHEN s.clv_available THEN s.clv ELSE 0 END
                  FROM loyalty_club_review review, res_partner rp, loyalty_club_score s
                 WHERE line.review_id = review.id
                   AND review.id IN %(reviews)s
                   AND %(line_filter)s
                   AND rp.id = line.partner_id
                   AND s.partner_id = COALESCE(rp.commercial_partner_id, rp.id)
                   AND s.company_id = COALESCE(review.company_id, %(company)s)
                """,
                reviews=tuple(self.ids),
                line_filter=line_filter,
                company=self.env.company.id,
            )
        )
        Line.invalidate_model(SNAPSHOT_FIELDS)
