import base64
import io

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

FUNNEL_MEASURES = [
    ("lead_count", "sum"),
    ("opportunity_count", "sum"),
    ("won_count", "sum"),
    ("lost_count", "sum"),
    ("conversion_rate", "avg"),
    ("opportunity_rate", "avg"),
    ("opportunity_win_rate", "avg"),
    ("won_revenue", "sum"),
    ("response_time", "avg"),
    ("response_working_time", "avg"),
    ("days_to_close", "avg"),
]
COST_MEASURES = [
    ("spend", "sum"),
    ("lead_count", "sum"),
    ("cost_per_lead", "sum"),
    ("new_customer_count", "sum"),
    ("cac", "sum"),
    ("won_revenue", "sum"),
    ("roi", "sum"),
]


class LeadTrackingReportExport(models.TransientModel):
    _name = "lead.tracking.report.export"
    _description = "Export Lead Tracking Reports to Excel"

    date_from = fields.Date(string="From")
    date_to = fields.Date(string="To")
    file = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from and wizard.date_to and wizard.date_to < wizard.date_from:
                raise ValidationError(_("The export period ends before it starts."))

    def action_export(self):
        self.ensure_one()
        content = self._build_xlsx()
        self.write(
            {
                "file": base64.b64encode(content),
                "file_name": _("lead_tracking_%(date)s.xlsx", date=fields.Date.today()),
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/?model={self._name}&id={self.id}"
            "&field=file&filename_field=file_name&download=true",
            "target": "self",
        }

    def _period_domain(self, fname, is_datetime=False):
        domain = []
        if self.date_from:
            domain.append((fname, ">=", self.date_from))
        if self.date_to:
            if is_datetime:
                domain.append((fname, "<", fields.Date.add(self.date_to, days=1)))
            else:
                domain.append((fname, "<=", self.date_to))
        return domain

    def _rows(self, model, domain, month_field, measures):
        groups = model._read_group(
            domain,
            ["channel", f"{month_field}:month"],
            [f"{fname}:{func}" for fname, func in measures],
        )
        labels = dict(model._fields["channel"]._description_selection(self.env))
        rows = []
        for channel, month, *values in groups:
            rows.append([labels.get(channel, channel or ""), month, *values])
        rows.sort(key=lambda row: (row[1] or fields.Date.today(), row[0]))
        return rows

    def _write_sheet(self, workbook, title, model, measures, rows):
        sheet = workbook.add_worksheet(title)
        header = workbook.add_format({"bold": True, "bg_color": "#DDDDDD"})
        month_format = workbook.add_format({"num_format": "yyyy-mm"})
        number = workbook.add_format({"num_format": "#,##0.00"})
        headers = [
            model._fields["channel"].get_description(self.env)["string"],
            _("Month"),
        ] + [model._fields[fname].get_description(self.env)["string"] for fname, _f in measures]
        for col, text in enumerate(headers):
            sheet.write(0, col, text, header)
        for row_index, row in enumerate(rows, start=1):
            sheet.write(row_index, 0, row[0])
            if row[1]:
                sheet.write_datetime(
                    row_index, 1, fields.Datetime.to_datetime(row[1]), month_format
                )
            for col, value in enumerate(row[2:], start=2):
                if value is False or value is None:
                    # a ratio with nothing to divide by: empty, not 0
                    sheet.write_blank(row_index, col, None, number)
                else:
                    sheet.write_number(row_index, col, value, number)
        sheet.set_column(0, 0, 22)
        sheet.set_column(1, len(headers), 16)
        sheet.freeze_panes(1, 2)

    def _build_xlsx(self):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        funnel = self.env["lead.tracking.funnel.report"]
        self._write_sheet(
            workbook,
            _("Funnel"),
            funnel,
            FUNNEL_MEASURES,
            self._rows(
                funnel,
                self._period_domain("create_date", is_datetime=True),
                "create_date",
                FUNNEL_MEASURES,
            ),
        )
        cost = self.env["lead.tracking.cost.report"]
        if cost.has_access("read"):
            self._write_sheet(
                workbook,
                _("Cost per Customer"),
                cost,
                COST_MEASURES,
                self._rows(cost, self._period_domain("month"), "month", COST_MEASURES),
            )
        workbook.close()
        return output.getvalue()
