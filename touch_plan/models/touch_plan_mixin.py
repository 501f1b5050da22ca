from odoo import _, fields, models


class TouchPlanMixin(models.AbstractModel):
    """Make a ``mail.thread`` model enrollable in touch plans.

    Used by ``res.partner`` here and ``crm.lead`` (nurture plans) in
    lead_tracking. Enrollments point to the record with ``res_model`` and
    ``res_id``; override the ``_touch_plan_get_*`` hooks to say who the
    client, the responsible and the company of a record are.
    """

    _name = "touch.plan.mixin"
    _description = "Touch Plan Enrollable Mixin"

    touch_plan_enrollment_ids = fields.One2many(
        "touch.plan.enrollment",
        "res_id",
        string="Touch Plan Enrollments",
        domain=lambda self: [("res_model", "=", self._name)],
        groups="touch_plan.touch_plan_group_user",
    )

    def _touch_plan_get_partner(self):
        """Client of the record (a ``res.partner``, possibly empty)."""
        self.ensure_one()
        return self.partner_id if "partner_id" in self._fields else self.env["res.partner"]

    def _touch_plan_get_user(self, plan):
        """Responsible of the record's enrollment in ``plan``."""
        self.ensure_one()
        user = self.user_id if "user_id" in self._fields else self.env["res.users"]
        return user or plan.user_id or self.env.user

    def _touch_plan_get_company(self, plan):
        self.ensure_one()
        company = self.company_id if "company_id" in self._fields else False
        return company or plan.company_id

    def _touch_plan_prepare_enrollment_values(self, plan):
        self.ensure_one()
        return {
            "plan_id": plan.id,
            "res_model": self._name,
            "res_id": self.id,
            "partner_id": self._touch_plan_get_partner().id,
            "user_id": self._touch_plan_get_user(plan).id,
            "company_id": self._touch_plan_get_company(plan).id,
        }

    def _touch_plan_get_running_enrollments(self, plans=None):
        domain = [
            ("res_model", "=", self._name),
            ("res_id", "in", self.ids),
            ("state", "in", ("active", "paused")),
        ]
        if plans is not None:
            domain.append(("plan_id", "in", plans.ids))
        return self.env["touch.plan.enrollment"].sudo().search(domain)

    def _touch_plan_enroll(self, plans, **values):
        """Enroll the records in ``plans``; idempotent.

        :param values: extra enrollment values (e.g. ``previous_enrollment_id``)
        :return: the running enrollments of the records in the plans, existing
            ones included
        """
        plans._check_enrollable()
        existing = self._touch_plan_get_running_enrollments(plans)
        taken = {(e.plan_id.id, e.res_id) for e in existing}
        vals_list = [
            dict(record._touch_plan_prepare_enrollment_values(plan), **values)
            for plan in plans
            for record in self
            if (plan.id, record.id) not in taken
        ]
        # with the caller's rights: a rep enrolls only what the record rules allow
        # (privileged callers, the daily job or a referral, call this on sudo records)
        created = self.env["touch.plan.enrollment"].create(vals_list)
        return (existing | created).with_env(self.env)

    def _touch_plan_stop(self, reason, state="done"):
        """End the running enrollments of the records, keeping their history."""
        enrollments = self._touch_plan_get_running_enrollments()
        enrollments._end(state, reason or _("Stopped"))
        return enrollments

    def unlink(self):
        """Enrollments of deleted records end (their touches are cancelled)."""
        self._touch_plan_stop(_("The enrolled record was deleted."), state="cancelled")
        return super().unlink()

    def _touch_plan_merge_into(self, destination):
        """Carry the enrollments of the records ``self`` to ``destination`` (merge).

        The destination keeps one running enrollment per plan: its own, or the
        oldest of the merged records'; the others end. Done and ended
        enrollments (history) all follow the surviving record, as do the
        activities of their touches (moved by the merge itself).
        """
        sources = self - destination
        if not sources:
            return
        Enrollment = self.env["touch.plan.enrollment"].sudo()
        running = Enrollment.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", (sources | destination).ids),
                ("state", "in", ("active", "paused")),
            ],
            order="date_start, id",
        )
        for plan_enrollments in running.grouped("plan_id").values():
            if len(plan_enrollments) < 2:
                continue
            kept = (
                plan_enrollments.filtered(lambda e: e.res_id == destination.id)[:1]
                or plan_enrollments[0]
            )
            (plan_enrollments - kept)._end(
                "cancelled",
                _("Merged into the enrollment of %(record)s", record=destination.display_name),
            )
        moved = Enrollment.search([("res_model", "=", self._name), ("res_id", "in", sources.ids)])
        values = {"res_id": destination.id}
        partner = destination._touch_plan_get_partner()
        if partner:
            values["partner_id"] = partner.id
        moved.write(values)
