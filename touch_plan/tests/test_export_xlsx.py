import base64
import datetime
import io

import openpyxl

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common_reports import TouchPlanReportCase


@tagged("post_install", "-at_install")
class TestTouchPlanExportXlsx(TouchPlanReportCase):
    def _export(self, wizard):
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertTrue(attachment.name.endswith(".xlsx"))
        workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        return attachment, workbook.active

    def test_export_client_year_plan(self):
        """A client's year plan reads back with headers, date cells, frozen header, filters."""
        wizard = self.env["touch.plan.export.xlsx"].create(
            {"partner_id": self.client_a.id, "year": self.touches[0].scheduled_date.year}
        )
        expected = (
            self.touches[:5]
            .filtered(lambda t: t.scheduled_date.year == wizard.year)
            .sorted(lambda t: (t.scheduled_date, t.id))
        )
        self.assertEqual(wizard.touch_count, len(expected))
        attachment, sheet = self._export(wizard)
        self.assertIn("Report Client A", attachment.name)
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:5], ["Date", "Client", "Touch", "Kind", "Channel"])
        self.assertIn("Status", header)
        self.assertIn("Outcome", header)
        self.assertTrue(sheet["A1"].font.bold)
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.auto_filter.ref, f"A1:K{len(expected) + 1}")
        self.assertEqual(sheet.max_row, len(expected) + 1)
        first = [cell.value for cell in sheet[2]]
        self.assertIsInstance(first[0], datetime.datetime)
        self.assertEqual(first[0].date(), expected[0].scheduled_date)
        self.assertTrue(sheet["A2"].is_date)
        self.assertEqual(first[1], "Report Client A")
        self.assertEqual(first[3], "Phone Call")
        self.assertEqual(first[7], "Done")
        self.assertEqual(first[8], "Reached the Client")
        self.assertIsInstance(first[9], datetime.datetime)
        # an open touch has no done date: an empty cell, not the text "False"
        states = [row[7].value for row in sheet.iter_rows(min_row=2)]
        open_row = states.index("Planned") + 2
        self.assertIsNone(sheet.cell(open_row, 10).value)

    def test_export_selection_from_list(self):
        """From the list: the selected touches (or all of the filter) are exported."""
        context = {
            "active_model": "touch.plan.touch",
            "active_ids": self.touches[:2].ids,
            "active_domain": [("partner_id", "=", self.client_a.id)],
        }
        wizard = Form(self.env["touch.plan.export.xlsx"].with_context(**context)).save()
        self.assertEqual(wizard.touch_ids, self.touches[:2])
        _attachment, sheet = self._export(wizard)
        self.assertEqual(sheet.max_row, 3)
        # a filter without selected ids: every record of the domain
        context["active_ids"] = []
        wizard = Form(self.env["touch.plan.export.xlsx"].with_context(**context)).save()
        self.assertEqual(wizard.touch_ids, self.touches[:5])

    def test_export_rep_year_plan(self):
        wizard = self.env["touch.plan.export.xlsx"].create(
            {"user_id": self.rep2.id, "year": self.touches[5].scheduled_date.year}
        )
        _attachment, sheet = self._export(wizard)
        # the rep's cancelled touch is part of the plan's history, exported with its state
        self.assertEqual(
            sorted(row[7].value for row in sheet.iter_rows(min_row=2)), ["Cancelled", "Done"]
        )

    def test_export_bad_input(self):
        Wizard = self.env["touch.plan.export.xlsx"]
        with self.assertRaises(UserError):
            Wizard.create({"year": 2026}).action_export()
        with self.assertRaises(UserError):
            Wizard.create({"partner_id": self.client_a.id, "year": 1990}).action_export()
        with self.assertRaises(ValidationError):
            Wizard.create({"partner_id": self.client_a.id, "year": 20})

    @users("tp_report_rep1")
    def test_export_rep_sees_own_touches_only(self):
        """A rep exporting another rep's client gets nothing they may not read."""
        wizard = self.env["touch.plan.export.xlsx"].create(
            {"partner_id": self.client_b.id, "year": self.touches[5].scheduled_date.year}
        )
        self.assertEqual(wizard.touch_count, 0)
        with self.assertRaises(UserError):
            wizard.action_export()
