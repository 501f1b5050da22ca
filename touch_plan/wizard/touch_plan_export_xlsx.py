import base64
import datetime
import io

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class TouchPlanExportXlsx(models.TransientModel):
    """Export a year plan (a rep's, a client's, or selected touches) to an XLSX file."""

    _name = "touch.plan.export.xlsx"
    _description = "Export a Year Plan to XLSX"

    user_id = fields.Many2one("res.users", string="Rep", domain="[('share', '=', False)]")
    partner_id = fields.Many2one("res.partner", string="Client")
    year = fields.Integer(required=True, default=lambda self: fields.Date.context_today(self).year)
    touch_ids = fields.Many2many(
        "touch.plan.touch",
        string="Selected Touches",
        help="Touches selected in the list; when empty, the rep's or client's touches of the year.",
    )
    touch_count = fields.Integer(compute="_compute_touch_count", string="Touches to Export")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "touch.plan.touch" and "touch_ids" in fields_list:
            ids = context.get("active_ids") or []
            if context.get("active_domain") is not None and not ids:
                ids = self.env["touch.plan.touch"].search(context["active_domain"]).ids
            values["touch_ids"] = [fields.Command.set(ids)]
        return values

    @api.depends("user_id", "partner_id", "year", "touch_ids")
    def _compute_touch_count(self):
        for wizard in self:
            wizard.touch_count = len(wizard._get_touches())

    @api.constrains("year")
    def _check_year(self):
        for wizard in self:
            if not 1900 <= wizard.year <= 9999:
                raise ValidationError(_("The year must be between 1900 and 9999."))

    def _get_domain(self):
        self.ensure_one()
        domain = [
            ("scheduled_date", ">=", datetime.date(self.year, 1, 1)),
            ("scheduled_date", "<=", datetime.date(self.year, 12, 31)),
        ]
        if self.user_id:
            domain.append(("user_id", "=", self.user_id.id))
        if self.partner_id:
            domain.append(("partner_id", "child_of", self.partner_id.commercial_partner_id.id))
        return domain

    def _get_touches(self):
        self.ensure_one()
        if self.touch_ids:
            return self.touch_ids._origin.sorted(lambda t: (t.scheduled_date, t.id))
        if not (self.user_id or self.partner_id) or not 1900 <= self.year <= 9999:
            return self.env["touch.plan.touch"]
        return self.env["touch.plan.touch"].search(self._get_domain())

    def _get_columns(self):
        """``(title, width, getter, kind)`` of the columns; kind is ``date`` or ``text``."""
        Touch = self.env["touch.plan.touch"]

        def label(field_name):
            return Touch._fields[field_name].get_description(self.env)["string"]

        def selection(field_name):
            values = dict(Touch._fields[field_name]._description_selection(self.env))
            return lambda touch: values.get(touch[field_name], "")

        return [
            (_("Date"), 12, lambda t: t.scheduled_date, "date"),
            (_("Client"), 28, lambda t: t.partner_id.display_name or "", "text"),
            (_("Touch"), 30, lambda t: t.name or "", "text"),
            (label("kind"), 18, selection("kind"), "text"),
            (label("channel"), 14, selection("channel"), "text"),
            (_("Rep"), 20, lambda t: t.user_id.name or "", "text"),
            (label("plan_id"), 24, lambda t: t.plan_id.name or "", "text"),
            (_("Status"), 14, selection("state"), "text"),
            (label("outcome"), 18, selection("outcome"), "text"),
            (label("done_date"), 12, lambda t: t.done_date, "date"),
            (label("skip_reason"), 30, lambda t: t.skip_reason or "", "text"),
        ]

    def _get_file_name(self):
        self.ensure_one()
        who = self.partner_id.display_name or self.user_id.name or _("Selection")
        return _("Year Plan %(who)s %(year)s.xlsx", who=who, year=self.year).replace("/", "-")

    def _generate_xlsx(self, touches):
        """Return the XLSX bytes: one row per touch, header, frozen pane, filters."""
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        sheet = workbook.add_worksheet(_("Year Plan")[:31])
        header = workbook.add_format(
            {"bold": True, "bg_color": "#714B67", "font_color": "#FFFFFF", "border": 1}
        )
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        columns = self._get_columns()
        for col, (title, width, _getter, _kind) in enumerate(columns):
            sheet.write_string(0, col, title, header)
            sheet.set_column(col, col, width)
        for row, touch in enumerate(touches, 1):
            for col, (_title, _width, getter, kind) in enumerate(columns):
                value = getter(touch)
                if kind == "date":
                    if value:
                        sheet.write_datetime(
                            row, col, datetime.datetime.combine(value, datetime.time()), date_format
                        )
                    else:
                        sheet.write_blank(row, col, None)
                else:
                    sheet.write_string(row, col, value)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(touches), 1), len(columns) - 1)
        workbook.close()
        return output.getvalue()

    def action_export(self):
        self.ensure_one()
        if not self.touch_ids and not (self.user_id or self.partner_id):
            raise UserError(_("Choose a rep or a client, or select touches in the list."))
        touches = self._get_touches()
        if not touches:
            raise UserError(_("There is no touch to export for this rep, client and year."))
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._get_file_name(),
                "datas": base64.b64encode(self._generate_xlsx(touches)),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
