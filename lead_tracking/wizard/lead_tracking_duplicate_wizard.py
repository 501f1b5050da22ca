import re
import unicodedata
from collections import defaultdict
from difflib import SequenceMatcher

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

LEGAL_SUFFIXES = {
    "inc", "ltd", "llc", "plc", "gmbh", "ag", "sa", "sarl", "sas", "bv", "nv",
    "srl", "spa", "co", "corp", "company", "limited", "group",
}  # fmt: skip


def normalise_text(text):
    """Lower case, no accents, no punctuation, single spaces."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def normalise_company(text):
    return " ".join(word for word in normalise_text(text).split() if word not in LEGAL_SUFFIXES)


def phone_key(text):
    digits = re.sub(r"\D", "", text or "")
    return digits[-9:] if len(digits) >= 7 else ""


def _names(leads):
    return ", ".join(leads.mapped("name"))


def normalise_person(text):
    return " ".join(sorted(normalise_text(text).split()))


class LeadTrackingDuplicateWizard(models.TransientModel):
    _name = "lead.tracking.duplicate.wizard"
    _description = "Find and Merge Duplicate Leads"

    include_lost = fields.Boolean(
        string="Include Lost Leads",
        help="Also look among archived (lost) leads.",
    )
    name_similarity = fields.Integer(
        string="Name Similarity (%)",
        default=85,
        help="Two contacts of the same company whose names are at least this "
        "similar are proposed as duplicates.",
    )
    group_ids = fields.One2many(
        "lead.tracking.duplicate.group", "wizard_id", string="Duplicate Groups"
    )
    group_count = fields.Integer(compute="_compute_group_count")
    searched = fields.Boolean(readonly=True)

    @api.depends("group_ids")
    def _compute_group_count(self):
        for wizard in self:
            wizard.group_count = len(wizard.group_ids)

    @api.constrains("name_similarity")
    def _check_name_similarity(self):
        for wizard in self:
            if not 50 <= wizard.name_similarity <= 100:
                raise ValidationError(_("The name similarity must be between 50 and 100%."))

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def action_find(self):
        self.ensure_one()
        groups = self._find_duplicate_groups()
        self.group_ids = [(5, 0, 0)] + [
            (
                0,
                0,
                {
                    "lead_ids": [(6, 0, lead_ids)],
                    "reason": "\n".join(reasons),
                },
            )
            for lead_ids, reasons in groups
        ]
        self.searched = True
        return self._reopen()

    def action_merge(self):
        self.ensure_one()
        groups = self.group_ids.filtered("to_merge")
        if not groups:
            raise UserError(_("Tick at least one group of duplicates to merge."))
        groups._merge()
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Duplicate Leads"),
        }

    # ------------------------------------------------------------------
    # MATCHING
    # ------------------------------------------------------------------

    def _lead_domain(self):
        return [("type", "in", ("lead", "opportunity"))]

    def _find_duplicate_groups(self):
        """Return [(lead ids, reasons)] of leads linked by any match, as
        connected groups: A~B by email and B~C by phone give one group."""
        Lead = self.env["crm.lead"].with_context(active_test=not self.include_lost)
        domain = self._lead_domain()
        pairs = []  # (ids, reason)
        for value, leads in Lead._read_group(
            domain + [("email_normalized", "!=", False)],
            ["email_normalized"],
            ["id:recordset"],
            having=[("__count", ">", 1)],
        ):
            pairs.append((leads.ids, _("Same email %(email)s", email=value) + f": {_names(leads)}"))
        pairs += self._phone_pairs(Lead, domain)
        pairs += self._fuzzy_name_pairs(Lead, domain)

        # union-find over the matches
        parent = {}

        def find(lead_id):
            parent.setdefault(lead_id, lead_id)
            while parent[lead_id] != lead_id:
                parent[lead_id] = parent[parent[lead_id]]
                lead_id = parent[lead_id]
            return lead_id

        for ids, _reason in pairs:
            for other in ids[1:]:
                parent[find(other)] = find(ids[0])
        groups = defaultdict(lambda: (set(), []))
        for ids, reason in pairs:
            root = find(ids[0])
            groups[root][0].update(ids)
            groups[root][1].append(reason)
        return [(sorted(ids), reasons) for ids, reasons in groups.values()]

    def _phone_pairs(self, Lead, domain):
        """Phones match on their sanitised digits (the last 9, so that a
        national and an international notation of one number match)."""
        by_phone = defaultdict(list)
        rows = Lead.search_read(
            domain + ["|", ("phone", "!=", False), ("mobile", "!=", False)],
            ["name", "phone_sanitized", "phone", "mobile"],
        )
        for row in rows:
            keys = {
                phone_key(value)
                for value in (row["phone_sanitized"], row["phone"], row["mobile"])
                if value
            }
            for key in keys - {""}:
                by_phone[key].append(row)
        pairs = []
        for key, members in by_phone.items():
            if len(members) > 1:
                names = ", ".join(row["name"] for row in members)
                pairs.append(
                    (
                        [row["id"] for row in members],
                        _("Same phone %(phone)s", phone=key) + f": {names}",
                    )
                )
        return pairs

    def _fuzzy_name_pairs(self, Lead, domain):
        threshold = self.name_similarity / 100.0
        rows = Lead.search_read(
            domain + [("partner_name", "!=", False)],
            ["name", "contact_name", "partner_name"],
        )
        by_company = defaultdict(list)
        for row in rows:
            company = normalise_company(row["partner_name"])
            person = normalise_person(row["contact_name"] or row["name"])
            if company and person:
                by_company[company].append((row, person))
        pairs = []
        for company, members in by_company.items():
            for index, (row, person) in enumerate(members):
                for other_row, other_person in members[index + 1 :]:
                    ratio = SequenceMatcher(None, person, other_person).ratio()
                    if ratio >= threshold:
                        pairs.append(
                            (
                                [row["id"], other_row["id"]],
                                _(
                                    "Similar names %(first)s / %(second)s (%(ratio)s%%) "
                                    "at the same company %(company)s",
                                    first=row["contact_name"] or row["name"],
                                    second=other_row["contact_name"] or other_row["name"],
                                    ratio=round(ratio * 100),
                                    company=company,
                                ),
                            )
                        )
        return pairs


class LeadTrackingDuplicateGroup(models.TransientModel):
    _name = "lead.tracking.duplicate.group"
    _description = "Group of Duplicate Leads"

    wizard_id = fields.Many2one("lead.tracking.duplicate.wizard", required=True, ondelete="cascade")
    lead_ids = fields.Many2many("crm.lead", string="Leads")
    lead_count = fields.Integer(compute="_compute_lead_count")
    reason = fields.Text(string="Why", readonly=True)
    to_merge = fields.Boolean(string="Merge", default=True)
    merged_lead_id = fields.Many2one("crm.lead", string="Merged Into", readonly=True)

    @api.depends("lead_ids")
    def _compute_lead_count(self):
        for group in self:
            group.lead_count = len(group.lead_ids)

    def action_merge_group(self):
        self.ensure_one()
        self._merge()
        return self.wizard_id._reopen()

    def _merge(self):
        for group in self:
            leads = group.lead_ids.exists()
            if len(leads) < 2:
                continue
            names = ", ".join(leads.mapped("name"))
            # Odoo's own merge: attribution and referrer are kept by crm.lead's
            # merge hooks; it refuses more than 5 leads at once
            head = leads.merge_opportunity()
            head.message_post(
                body=Markup("<p>%s</p><p>%s</p>")
                % (
                    _("Merged by the duplicate finder: %(names)s.", names=names),
                    group.reason or "",
                ),
                subtype_xmlid="mail.mt_note",
            )
            group.write(
                {"merged_lead_id": head.id, "to_merge": False, "lead_ids": [(6, 0, head.ids)]}
            )
