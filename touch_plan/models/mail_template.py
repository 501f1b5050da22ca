from lxml import html
from markupsafe import Markup

from odoo import models
from odoo.tools import safe_eval
from odoo.tools.rendering_tools import parse_inline_template

# context key of the touch engine's batches: compile each template field once
RENDER_ONCE = "touch_plan_render_once"

# the fields send_mail_batch renders (mail.template.send_mail_batch)
MAIL_FIELDS = (
    "attachment_ids",
    "auto_delete",
    "body_html",
    "email_cc",
    "email_from",
    "email_to",
    "mail_server_id",
    "model",
    "partner_to",
    "reply_to",
    "report_template_ids",
    "res_id",
    "scheduled_date",
    "subject",
)


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _touch_plan_is_restricted(self):
        return (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        )

    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """Compile the body once for all the records of a batch.

        Odoo parses and compiles a raw QWeb body again for every record (the
        compiled code of an ``etree`` template is not cached), which is most of
        the cost of ``send_mail_batch``. In the touch engine's batches
        (context key ``touch_plan_render_once``), the template of a language is
        compiled once and its code run for each record: the same code with the
        same values, so every record's output is the one Odoo would render.
        Restricted rendering (users outside the template editors) and templates
        without QWeb code keep Odoo's path.
        """
        if (
            not self.env.context.get(RENDER_ONCE)
            or not template_src
            or not res_ids
            or self._touch_plan_is_restricted()
            or not self._has_unsafe_expression_template_qweb(template_src, model)
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        qweb = self.env["ir.qweb"].with_context(**(options or {}))
        results = {}
        try:
            functions, def_name = qweb._compile(
                html.fragment_fromstring(template_src, create_parent="div")
            )
            render = functions[def_name]
            for record in self.env[model].browse(res_ids):
                values = dict(variables, object=record)
                # what ir.qweb._render does around the compiled code, for each record
                record_qweb = qweb._prepare_environment(values)
                safe_eval.check_values(values)
                # drop the <div> wrapping the nodes of the body, as Odoo does
                results[record.id] = Markup("".join(render(record_qweb, values)))[5:-6]
        except Exception:  # Odoo's path raises its own clear error
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        return results

    def _render_template_inline_template(
        self, template_txt, model, res_ids, add_context=None, options=None
    ):
        """Check and compile each ``{{ expression }}`` once for all the records.

        Odoo's ``render_inline_template`` runs ``safe_eval`` for every
        expression and record, which checks and compiles the expression each
        time. In the touch engine's batches the expressions are checked and
        compiled once (the same ``safe_eval`` checks) and evaluated per record
        with the same builtins and values, so the output is Odoo's.
        """
        if (
            not self.env.context.get(RENDER_ONCE)
            or not template_txt
            or not res_ids
            or self._touch_plan_is_restricted()
            or not self._has_unsafe_expression_template_inline_template(str(template_txt), model)
        ):
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context=add_context, options=options
            )
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        results = {}
        try:
            instructions = [
                (
                    string,
                    expression
                    and safe_eval.test_expr(expression, safe_eval._SAFE_OPCODES, mode="eval"),
                    default,
                )
                for string, expression, default in parse_inline_template(str(template_txt))
            ]
            for record in self.env[model].browse(res_ids):
                values = dict(variables, object=record)
                safe_eval.check_values(values)
                values["__builtins__"] = dict(safe_eval._BUILTINS)
                parts = []
                for string, code, default in instructions:
                    parts.append(string)
                    if code:
                        # checked by test_expr as safe_eval does; pylint: disable=eval-used
                        result = eval(code, values) or default
                        if result:
                            parts.append(str(result))
                results[record.id] = "".join(parts)
        except Exception:  # Odoo's path raises its own clear error
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context=add_context, options=options
            )
        return results

    def _touch_plan_send_mail_batch(self, res_ids):
        """Queue the mails of ``send_mail_batch(res_ids)``: the same ``mail.mail``
        records, in the same order, for a fraction of the time.

        The values are Odoo's (``_generate_template``), each template field
        compiled once for the batch (see ``_render_template_qweb``), and the
        mails and their messages are inserted in bulk for the whole batch (see
        ``mail.mail._touch_plan_create_bulk``: the values ``create`` would
        store, consent nets included). Templates with a layout or attachments
        keep Odoo's path.
        """
        self.ensure_one()
        if self.email_layout_xmlid or self.attachment_ids or self.report_template_ids:
            return self.send_mail_batch(res_ids)
        self._send_check_access(res_ids)
        if not res_ids:
            return self.env["mail.mail"].sudo()
        self.env[self.model].browse(res_ids)  # prefetch the records together
        values_by_id = self.with_context(**{RENDER_ONCE: True})._generate_template(
            res_ids, MAIL_FIELDS
        )
        values_list = []
        for res_id in res_ids:
            # the same values as send_mail_batch without layout
            values = values_by_id[res_id]
            values["recipient_ids"] = [(4, pid) for pid in (values.get("partner_ids") or [])]
            values["attachment_ids"] = [(4, aid) for aid in (values.get("attachment_ids") or [])]
            values.pop("attachments", None)
            if "email_from" in values and not values.get("email_from"):
                values.pop("email_from")
            values["body"] = values["body_html"]
            values_list.append(values)
        return self.env["mail.mail"].sudo()._touch_plan_create_bulk(values_list)
