from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.base.models.ir_fields import ImportWarning as OdooImportWarning


class IrFieldsConverter(models.AbstractModel):
    _inherit = "ir.fields.converter"

    @api.model
    def _str_to_date(self, model, field, value):
        """Imported key dates: name the row's value when it has no year."""
        if model._name == "touch.plan.key.date" and field.name == "date":
            try:
                parsed = model._parse_date_text(value)
            except ValidationError as error:
                if field.name in self.env.context.get("import_skip_records", []):
                    # "skip the records with this error": report the row, import the others
                    return None, [OdooImportWarning(error.args[0].replace("%", "%%"))]
                raise self._format_import_error(ValueError, "%s", error.args[0]) from None
            return (fields.Date.to_string(parsed) if parsed else False), []
        return super()._str_to_date(model, field, value)
