import datetime

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..models.touch_plan_step import CHANNELS, OUTCOMES, TOUCH_KINDS


class TouchPlanTouchReport(models.Model):
    """One row per touch, with the measures a sales manager asks for.

    ``on_time_rate`` and ``referral_rate`` hold 100 or 0 on the rows they are
    measured on and NULL elsewhere, so that their average (SQL ``AVG`` skips
    NULL) over any grouping is the rate of that group:

    * on-time rate: touches done on or before their date / touches due
      (done, skipped, or still open after their date; cancelled ones excluded);
    * referrals per 100 touches: 100 * referrals credited to the touches /
      touches done;
    * open, click and reply rates: emails opened (clicked, replied) / emails
      delivered (sent and not bounced); bounce rate: emails bounced or
      failed / emails sent or failed (mass_mailing's traces).
    """

    _name = "touch.plan.touch.report"
    _inherit = ["touch.plan.sql.report"]
    _description = "Touch Analysis"
    _auto = False
    _rec_name = "name"
    _order = "scheduled_date desc, id desc"

    touch_id = fields.Many2one("touch.plan.touch", string="Touch", readonly=True)
    name = fields.Char(string="Touch Name", readonly=True)
    enrollment_id = fields.Many2one("touch.plan.enrollment", readonly=True)
    plan_id = fields.Many2one("touch.plan", string="Plan", readonly=True)
    step_id = fields.Many2one("touch.plan.step", string="Step", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    user_id = fields.Many2one("res.users", string="Rep", readonly=True)
    enrollment_user_id = fields.Many2one("res.users", string="Client's Rep", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    kind = fields.Selection(TOUCH_KINDS, readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("scheduled", "In Activities"),
            ("done", "Done"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
        ],
        string="Status",
        readonly=True,
    )
    outcome = fields.Selection(OUTCOMES, readonly=True)
    scheduled_date = fields.Date(string="Date", readonly=True)
    done_date = fields.Date(string="Done On", readonly=True)
    cycle_start = fields.Date(readonly=True)
    variant_id = fields.Many2one("touch.plan.step.variant", string="Variant", readonly=True)
    mailing_id = fields.Many2one("mailing.mailing", string="Mailing", readonly=True)
    # measures
    touch_count = fields.Integer(string="Touches", readonly=True)
    done_count = fields.Integer(string="Done", readonly=True)
    due_count = fields.Integer(
        string="Due", readonly=True, help="Touches done, skipped, or open after their date."
    )
    on_time_count = fields.Integer(
        string="Done on Time", readonly=True, help="Done on or before the scheduled date."
    )
    referral_count = fields.Integer(
        string="Referrals",
        readonly=True,
        help="Contacts referred by the client whose last touch before the referral is this one.",
    )
    on_time_rate = fields.Float(
        string="On-time Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Touches done on or before their date, in percent of the touches due.",
    )
    referral_rate = fields.Float(
        string="Referrals per 100 Touches",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Referrals credited to the touches, per 100 touches done.",
    )

    sent_count = fields.Integer(string="Emails Sent", readonly=True)
    opened_count = fields.Integer(string="Emails Opened", readonly=True)
    clicked_count = fields.Integer(string="Emails Clicked", readonly=True)
    replied_count = fields.Integer(string="Emails Replied", readonly=True)
    bounced_count = fields.Integer(
        string="Emails Bounced", readonly=True, help="Emails bounced or that could not be sent."
    )
    open_rate = fields.Float(
        string="Open Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Emails opened, in percent of the emails delivered.",
    )
    click_rate = fields.Float(
        string="Click Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Emails with a link clicked, in percent of the emails delivered.",
    )
    reply_rate = fields.Float(
        string="Reply Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Emails answered, in percent of the emails delivered.",
    )
    bounce_rate = fields.Float(
        string="Bounce Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Emails bounced or failed, in percent of the emails sent or failed.",
    )

    def _select(self):
        due = SQL(
            "(t.state IN ('done', 'skipped') "
            "OR (t.state IN ('planned', 'scheduled') "
            "AND t.scheduled_date < (NOW() AT TIME ZONE 'UTC')::date))"
        )
        on_time = SQL("(t.state = 'done' AND t.done_date <= t.scheduled_date)")
        return SQL(
            """
            SELECT
                t.id AS id,
                t.id AS touch_id,
                t.name AS name,
                t.enrollment_id AS enrollment_id,
                e.plan_id AS plan_id,
                t.step_id AS step_id,
                e.partner_id AS partner_id,
                t.user_id AS user_id,
                e.user_id AS enrollment_user_id,
                e.company_id AS company_id,
                t.kind AS kind,
                t.channel AS channel,
                t.state AS state,
                t.outcome AS outcome,
                t.scheduled_date AS scheduled_date,
                t.done_date AS done_date,
                t.cycle_start AS cycle_start,
                1 AS touch_count,
                CASE WHEN t.state = 'done' THEN 1 ELSE 0 END AS done_count,
                CASE WHEN %(due)s THEN 1 ELSE 0 END AS due_count,
                CASE WHEN %(on_time)s THEN 1 ELSE 0 END AS on_time_count,
                COALESCE(r.referral_count, 0) AS referral_count,
                CASE WHEN %(due)s THEN CASE WHEN %(on_time)s THEN 100.0 ELSE 0.0 END
                END AS on_time_rate,
                CASE WHEN t.state = 'done' THEN 100.0 * COALESCE(r.referral_count, 0)
                END AS referral_rate,
                t.variant_id AS variant_id,
                t.mailing_id AS mailing_id,
                CASE WHEN t.is_email_sent THEN 1 ELSE 0 END AS sent_count,
                CASE WHEN t.is_email_opened THEN 1 ELSE 0 END AS opened_count,
                CASE WHEN t.is_email_clicked THEN 1 ELSE 0 END AS clicked_count,
                CASE WHEN t.is_email_replied THEN 1 ELSE 0 END AS replied_count,
                CASE WHEN t.is_email_bounced THEN 1 ELSE 0 END AS bounced_count,
                CASE WHEN %(delivered)s THEN CASE WHEN t.is_email_opened THEN 100.0 ELSE 0.0 END
                END AS open_rate,
                CASE WHEN %(delivered)s THEN CASE WHEN t.is_email_clicked THEN 100.0 ELSE 0.0 END
                END AS click_rate,
                CASE WHEN %(delivered)s THEN CASE WHEN t.is_email_replied THEN 100.0 ELSE 0.0 END
                END AS reply_rate,
                CASE WHEN t.is_email_sent OR t.is_email_bounced
                     THEN CASE WHEN t.is_email_bounced THEN 100.0 ELSE 0.0 END
                END AS bounce_rate
            """,
            due=due,
            on_time=on_time,
            delivered=SQL("(t.is_email_sent AND NOT t.is_email_bounced)"),
        )

    def _from(self):
        return SQL(
            """
            FROM touch_plan_touch t
            JOIN touch_plan_enrollment e ON e.id = t.enrollment_id
            LEFT JOIN (
                SELECT referral_touch_id, COUNT(*) AS referral_count
                  FROM res_partner
                 WHERE referral_touch_id IS NOT NULL
              GROUP BY referral_touch_id
            ) r ON r.referral_touch_id = t.id
            """
        )

    def _where(self):
        return SQL("WHERE t.state != 'cancelled'")

    def _query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._where())

    def action_open_touch(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "touch.plan.touch",
            "res_id": self.touch_id.id,
            "view_mode": "form",
        }

    @api.model
    def _load_demo_today(self, user_xmlid):
        """Demo data: a working day for the rep ``user_xmlid``.

        One call, one card and one gift of the rep's clients move to the
        install day and become the rep's activities on the clients, so that
        the demo shows today's work whatever the day it is installed.
        """
        user = self.env.ref(user_xmlid)
        today = fields.Date.context_today(self)
        touches = (
            self.env["touch.plan.touch"]
            .sudo()
            .search(
                [("user_id", "=", user.id), ("state", "=", "planned")], order="scheduled_date, id"
            )
        )
        today_touches = self.env["touch.plan.touch"].sudo()
        for channel in ("call", "card", "gift"):
            today_touches |= touches.filtered(lambda t, c=channel: t.channel == c)[:1]
        today_touches.write({"scheduled_date": today})
        today_touches._process_due()

    @api.model
    def _load_demo_results(self, partner_xmlids):
        """Demo data: give the past open touches of these clients a result.

        Most are done on their date, one in four three days late, one in seven
        skipped, so that the reports show rates on a demo database.
        """
        partners = self.env["res.partner"].browse(
            [self.env.ref(xmlid).id for xmlid in partner_xmlids]
        )
        touches = (
            self.env["touch.plan.touch"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("state", "in", ("planned", "scheduled")),
                    ("scheduled_date", "<", fields.Date.context_today(self)),
                ]
            )
        )
        skipped = touches.filtered(lambda t: t.id % 7 == 0)
        skipped.write({"state": "skipped", "skip_reason": _("Demo: the client was travelling.")})
        for late in (False, True):
            group = (touches - skipped).filtered(lambda t, late=late: (t.id % 4 == 0) == late)
            for (day, is_call), by_day in group.grouped(
                lambda t: (t.scheduled_date, t.channel == "call")
            ).items():
                by_day.write(
                    {
                        "state": "done",
                        "done_date": day + datetime.timedelta(days=3 if late else 0),
                        "outcome": "reached" if is_call else "sent",
                    }
                )
        # their activities are done with them
        touches.activity_id.unlink()

    @api.model
    def _load_demo_tracking(self, partner_xmlids):
        """Demo data: what the emails sent to these clients did.

        Every email is delivered; the clients of the second variant of an A/B
        test open more (seven in ten against four), one open in three comes
        with a click, and the first email of the last client bounces, so
        that its touch is a call instead.
        """
        partners = [self.env.ref(xmlid) for xmlid in partner_xmlids]
        touches = (
            self.env["touch.plan.touch"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", [partner.id for partner in partners]),
                    ("mailing_trace_id", "!=", False),
                ],
                order="scheduled_date, id",
            )
        )
        touches.mailing_trace_id.set_sent()
        bounced = touches.filtered(lambda t: t.partner_id == partners[-1])[:1]
        opened = self.env["touch.plan.touch"]
        clicked = self.env["touch.plan.touch"]
        for index, touch in enumerate(touches - bounced):
            share = 7 if touch.variant_id.sequence > 1 else 4
            if index % 10 < share:
                opened |= touch
                if index % 3 == 0:
                    clicked |= touch
        opened.mailing_trace_id.set_opened()
        clicked.mailing_trace_id.set_clicked()
        bounced.mailing_trace_id.set_bounced(bounce_message="550 5.1.1 Mailbox unavailable")
