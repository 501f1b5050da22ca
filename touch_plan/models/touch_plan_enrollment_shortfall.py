from collections import defaultdict

from odoo import _, fields, models
from odoo.tools import SQL

# the timings whose touches depend on the client's data (country, key dates):
# the others always plan their count
SHORTFALL_TIMINGS = ("occasion", "key_date")


class TouchPlanEnrollment(models.Model):
    _inherit = "touch.plan.enrollment"

    shortfall_reason = fields.Text(
        string="Fewer Touches Because",
        compute="_compute_shortfall",
        help="Why this cycle plans fewer touches than the plan's steps ask for: "
        "no country, no key date known, fewer occasions than the step's count.",
    )
    has_shortfall = fields.Boolean(
        string="Fewer Touches than Target",
        compute="_compute_shortfall",
        search="_search_has_shortfall",
    )

    def _compute_shortfall(self):
        reasons = self._get_shortfall_reasons()
        for enrollment in self:
            lines = reasons.get(enrollment.id, [])
            enrollment.shortfall_reason = "\n".join(lines) or False
            enrollment.has_shortfall = bool(lines)

    def _search_has_shortfall(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        ids = self._get_shortfall_ids()
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    def _get_shortfall_ids(self):
        """Ids of the running enrollments of which a step plans fewer touches than its count.

        One query for the whole database.
        """
        self.env["touch.plan.touch"].flush_model(["enrollment_id", "step_id", "cycle_start"])
        self.env["touch.plan.step"].flush_model(["plan_id", "active", "timing", "count"])
        self.flush_model(["plan_id", "state", "touches_generated", "cycle_start"])
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT enrollment.id
                     FROM touch_plan_enrollment enrollment
                     JOIN touch_plan_step step
                       ON step.plan_id = enrollment.plan_id
                      AND step.active AND step.timing IN %s
                    WHERE enrollment.state IN ('active', 'paused')
                      AND enrollment.touches_generated
                      AND step.count > (
                            SELECT count(*) FROM touch_plan_touch touch
                             WHERE touch.enrollment_id = enrollment.id
                               AND touch.step_id = step.id
                               AND touch.cycle_start = enrollment.cycle_start)""",
                SHORTFALL_TIMINGS,
            )
        )
        return [row[0] for row in rows]

    def _get_shortfall_reasons(self):
        """Return ``{enrollment_id: [reason, ...]}`` for the running enrollments of ``self``.

        A reason per step planning fewer touches in the current cycle than its
        count: the client has no country (nor its company), no key date known,
        or fewer occasions or key dates fall in the cycle. A constant number of
        queries.
        """
        enrollments = self.filtered(
            lambda e: e.id and e.state in ("active", "paused") and e.touches_generated
        )
        steps = enrollments.sudo().plan_id.step_ids.filtered(
            lambda s: s.active and s.timing in SHORTFALL_TIMINGS
        )
        if not steps:
            return {}
        planned = {
            (enrollment.id, step.id, cycle_start): count
            for enrollment, step, cycle_start, count in self.env["touch.plan.touch"]
            .sudo()
            ._read_group(
                [("enrollment_id", "in", enrollments.ids), ("step_id", "in", steps.ids)],
                ["enrollment_id", "step_id", "cycle_start:day"],
                ["__count"],
            )
        }
        known_types = defaultdict(set)
        if "key_date" in steps.mapped("timing"):
            for partner, key_type in (
                self.env["touch.plan.key.date"]
                .sudo()
                ._read_group(
                    [("partner_id", "in", enrollments.partner_id.ids)], ["partner_id", "type_id"]
                )
            ):
                known_types[partner.id].add(key_type)
        result = {}
        for enrollment in enrollments:
            lines = []
            for step in steps.filtered(lambda s, e=enrollment: s.plan_id == e.plan_id.sudo()):
                count = planned.get((enrollment.id, step.id, enrollment.cycle_start), 0)
                if count >= step.count:
                    continue
                reason = enrollment._get_step_shortfall_reason(step, count, known_types)
                lines.append(
                    _(
                        "%(step)s: %(planned)s of %(count)s planned: %(reason)s",
                        step=step.name,
                        planned=count,
                        count=step.count,
                        reason=reason,
                    )
                )
            if lines:
                result[enrollment.id] = lines
        return result

    def _get_step_shortfall_reason(self, step, count, known_types):
        self.ensure_one()
        partner = self.partner_id
        if step.timing == "occasion":
            country = partner.country_id or self.company_id.country_id
            if not country:
                return _(
                    "the client has no country, nor has the company: only the occasions "
                    "kept everywhere count."
                )
            if not partner.country_id:
                return _(
                    "only %(count)s greeting occasions of %(country)s (the company's country: "
                    "the client has none) fall in this cycle.",
                    count=count,
                    country=country.name,
                )
            return _(
                "only %(count)s greeting occasions of %(country)s fall in this cycle.",
                count=count,
                country=country.name,
            )
        types = known_types.get(partner.id, set())
        missing = step.key_date_type_ids.filtered(lambda t: t not in types)
        if missing:
            return _("no %(types)s known for the client.", types=", ".join(missing.mapped("name")))
        if not types:
            return _("no birthday or other key date known for the client.")
        return _("only %(count)s key dates of the client fall in this cycle.", count=count)
