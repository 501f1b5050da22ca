import base64
import io

import xlsxwriter

from odoo import _, fields, models


class LoyaltyClubXlsxMixin(models.AbstractModel):
    """XLSX export of a report list: the selected rows, or all visible rows."""

    _name = "loyalty.club.xlsx.mixin"
    _description = "Customer Club XLSX Export"

    def _club_xlsx_fields(self):
        """Field names exported, in column order."""
        return []

    def _club_xlsx_title(self):
        return self._description

    def action_export_xlsx(self):
        records = self or self.search([])
        field_names = self._club_xlsx_fields()
        content = records._club_xlsx_content(field_names)
        filename = "%s %s.xlsx" % (self._club_xlsx_title(), fields.Date.context_today(self))
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "datas": base64.b64encode(content),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def _club_xlsx_content(self, field_names):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        sheet = workbook.add_worksheet(self._club_xlsx_title()[:31])
        bold = workbook.add_format({"bold": True, "bg_color": "#DDDDDD"})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        number_format = workbook.add_format({"num_format": "#,##0.00"})
        fields_ = [self._fields[fname] for fname in field_names]
        for col, field in enumerate(fields_):
            sheet.write(0, col, field.get_description(self.env)["string"], bold)
            sheet.set_column(col, col, 16)
        for row, record in enumerate(self, start=1):
            for col, field in enumerate(fields_):
                value = record[field.name]
                if field.type == "many2one":
                    sheet.write(row, col, value.display_name or "")
                elif field.type == "selection":
                    labels = dict(field._description_selection(self.env))
                    sheet.write(row, col, labels.get(value, "") if value else "")
                elif field.type in ("date", "datetime"):
                    if value:
                        sheet.write_datetime(
                            row, col, fields.Datetime.to_datetime(value), date_format
                        )
                elif field.type in ("float", "monetary"):
                    sheet.write_number(row, col, value or 0.0, number_format)
                elif field.type in ("integer",):
                    sheet.write_number(row, col, value or 0)
                elif field.type == "boolean":
                    sheet.write(row, col, _("Yes") if value else _("No"))
                else:
                    sheet.write(row, col, value or "")
        sheet.freeze_panes(1, 0)
        workbook.close()
        return output.getvalue()
