from odoo import api, models
from odoo.tools import SQL

from ..tools import insert_rows
from ..tools.bulk_insert import can_insert

# stored fields of mail.message and mail.mail that the bulk path knows how to fill
MESSAGE_RELATIONS = ("partner_ids",)
MAIL_RELATIONS = ("recipient_ids",)


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model
    def _touch_plan_prepare_bulk_values(self, vals_list):
        """Hook: the values of mails about to be created in bulk, as ``create``
        takes them. Modules whose ``create`` override changes the values (e.g. a
        consent net cancelling mails to records without consent) apply the same
        change here, so that mails created in bulk obey it too."""
        return vals_list

    @api.model
    def _touch_plan_can_create_bulk(self):
        """Whether every stored field of mail.mail and mail.message is a plain
        column the bulk path fills (its default or its value), or a relation it
        writes itself: a module adding a computed stored field keeps ``create``."""
        for model, relations in (
            (self.env["mail.message"], MESSAGE_RELATIONS),
            (self, MAIL_RELATIONS),
        ):
            for name, field in model._fields.items():
                if not field.store or field.inherited or name in relations:
                    continue
                if field.type in ("one2many", "many2many"):
                    continue  # no links but the recipients (see the values checked)
                if field.compute or field.related or not can_insert(field):
                    return False
        return True

    @api.model
    def _touch_plan_create_bulk(self, vals_list):
        """Create mails (and their messages) from ``vals_list`` as ``create``
        does, with one INSERT per table for the whole list.

        ``create`` costs about as much per mail as rendering the template (one
        message each, its body sanitized three times, defaults, reply-to, record
        name and message id per record). Here the defaults are read once, the
        per-record values computed as ``mail.message.create`` computes them
        (message id, record name, author's address), each body sanitized once
        by its column, and the recipients written in one INSERT per relation.
        Falls back to ``create`` when the values or the installed fields need
        its per-record work (attachments, embedded images, computed fields).
        """
        Message = self.env["mail.message"].sudo()
        if (
            not vals_list
            or not self._touch_plan_can_create_bulk()
            or any(
                vals.get("mail_message_id")
                or "data:image" in (vals.get("body") or "")
                or any(command[0] != 4 for command in vals.get("recipient_ids") or [])
                or any(
                    value
                    for name, value in vals.items()
                    if name in self._fields
                    and self._fields[name].type in ("one2many", "many2many")
                    and name not in (*MESSAGE_RELATIONS, *MAIL_RELATIONS)
                )
                for vals in vals_list
            )
        ):
            return self.sudo().create(vals_list)
        vals_list = self._touch_plan_prepare_bulk_values([dict(vals) for vals in vals_list])
        # the defaults of every column, for the values that leave it out (as
        # create() fills each record's missing fields, even when others have them)
        defaults = self.default_get(
            [
                name
                for name, field in self._fields.items()
                if field.inherited or (field.store and can_insert(field))
            ]
        )
        message_rows, mail_rows, partner_rows, recipient_rows = [], [], [], []
        records = {}
        # the documents' names, read together (mail.message._get_record_name reads one each)
        for model in {vals.get("model") for vals in vals_list if "record_name" not in vals}:
            if model and model in self.env:
                self.env[model].sudo().browse(
                    [vals["res_id"] for vals in vals_list if vals.get("model") == model]
                ).mapped("display_name")
        for vals in vals_list:
            vals = {**defaults, **vals}
            # what mail.mail.create and mail.message.create add to the values
            vals["scheduled_date"] = (
                self._parse_scheduled_datetime(vals["scheduled_date"]).replace(tzinfo=None)
                if vals.get("scheduled_date")
                else False
            )
            vals.setdefault("is_notification", False)
            if not vals.get("message_id"):
                vals["message_id"] = Message._get_message_id(vals)
            if "reply_to" not in vals:
                vals["reply_to"] = Message._get_reply_to(vals)
            if "record_name" not in vals:
                key = (vals.get("model"), vals.get("res_id"))
                if key not in records:
                    records[key] = Message._get_record_name(vals)
                vals["record_name"] = records[key]
            partner_rows.append(list(vals.pop("partner_ids", None) or []))
            recipient_rows.append([command[1] for command in vals.pop("recipient_ids", None) or []])
            vals.pop("attachment_ids", None)
            message_rows.append(
                {
                    name: value
                    for name, value in vals.items()
                    if name in Message._fields and can_insert(Message._fields[name])
                }
            )
            mail_rows.append(
                {
                    name: value
                    for name, value in vals.items()
                    if name in self._fields
                    and not self._fields[name].inherited
                    and can_insert(self._fields[name])
                }
            )
        messages = insert_rows(Message, message_rows)
        for row, message in zip(mail_rows, messages, strict=True):
            row["mail_message_id"] = message.id
        mails = insert_rows(self.sudo(), mail_rows)
        self._touch_plan_insert_relation(Message, "partner_ids", messages, partner_rows)
        self._touch_plan_insert_relation(self, "recipient_ids", mails, recipient_rows)
        # the documents' chatters show the new messages
        for model, ids in {
            model: {vals["res_id"] for vals in message_rows if vals.get("model") == model}
            for model in {vals.get("model") for vals in message_rows}
        }.items():
            if model in self.env and "message_ids" in self.env[model]._fields:
                self.env[model].browse(ids).invalidate_recordset(["message_ids"])
        return mails

    @api.model
    def _touch_plan_insert_relation(self, model, field_name, records, rows):
        """Insert the many2many links of ``records`` (``rows``: ids per record)."""
        field = model._fields[field_name]
        pairs = [
            (record.id, target)
            for record, targets in zip(records, rows, strict=True)
            for target in targets
        ]
        if not pairs:
            return
        self.env.execute_query(
            SQL(
                """INSERT INTO %s (%s, %s)
                   SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING""",
                SQL.identifier(field.relation),
                SQL.identifier(field.column1),
                SQL.identifier(field.column2),
                [pair[0] for pair in pairs],
                [pair[1] for pair in pairs],
            )
        )
        records.invalidate_recordset([field_name])
