from odoo import models


class UtmMixin(models.AbstractModel):
    _inherit = "utm.mixin"

    def _find_or_create_record(self, model_name, name):
        """UTM cookies of web forms carry raw names: map them on clean sources."""
        if model_name == "utm.source" and name:
            source = self.env["lead.tracking.source.rule"]._map_source_name(name)
            if source:
                return source
        return super()._find_or_create_record(model_name, name)
