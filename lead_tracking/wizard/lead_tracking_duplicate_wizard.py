"""Duplicate finder (D3): candidate pairs come from SQL, groups from a
union-find that never joins two separate deals of one customer.

Candidates, all found in one SQL statement over a temporary table of
normalised keys:

* the same normalised email (``email_normalized``);
* the same sanitised phone (``phone_sanitized``, E.164 from ``phonenumbers``);
* similar contact names at the same normalised company, or the same contact
  name at similar companies, by trigram similarity (PostgreSQL's
  ``pg_trgm``; without it, the exact normalised name and company).

Blocks (one email, one company...) larger than ``BLOCK_LIMIT`` leads are
shared mailboxes or big accounts rather than duplicates and are left out, so
the number of pairs stays linear in the number of leads.
"""

import logging
from collections import defaultdict

import psycopg2
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, mute_logger

_logger = logging.getLogger(__name__)

LEGAL_SUFFIXES = (
    "inc", "ltd", "llc", "plc", "gmbh", "ag", "sa", "sarl", "sas", "bv", "nv",
    "srl", "spa", "co", "corp", "company", "limited", "group",
)  # fmt: skip
BLOCK_LIMIT = 50  # leads sharing one key beyond which the key is not evidence
GROUP_LIMIT = 200  # groups shown, best score first
REASON_LINES = 6  # pair explanations listed per group
TEMP_TABLE = "lead_tracking_dedupe_key"
WORK_MEM = "64MB"
# how much each kind of evidence alone says (combined as a noisy-or)
EMAIL_WEIGHT = 0.9
PHONE_WEIGHT = 0.85


def _lead_label(lead, details=False):
    """A lead as a person reads it: its full name, the contact and company;
    with ``details`` also its email, formatted phone and stage."""
    who = ", ".join(filter(None, (lead.contact_name, lead.partner_name)))
    label = f"{lead.name} ({who})" if who else lead.name
    if not details:
        return label
    phone = lead.phone or lead.mobile
    if phone:
        phone = lead._phone_format(number=phone, force_format="INTERNATIONAL") or phone
    stage = lead.stage_id.name or ""
    if not lead.active:
        stage = _("%(stage)s (lost)", stage=stage)
    return " · ".join(filter(None, (label, lead.email_from, phone, stage)))


def _pg_function_exists(cr, name):
    cr.execute(SQL("SELECT 1 FROM pg_proc WHERE proname = %s LIMIT 1", name))
    return bool(cr.fetchone())


class LeadTrackingDuplicateWizard(models.TransientModel):
    _name = "lead.tracking.duplicate.wizard"
    _description = "Find and Merge Duplicate Leads"

    include_lost = fields.Boolean(
        string="Include Lost Leads",
        help="Also look among archived (lost) leads.",
    )
    name_similarity = fields.Integer(
        string="Name Similarity (%)",
        default=60,
        help="Trigram similarity from which two contact names at the same "
        "company (or two company names of the same contact) count as a match.",
    )
    group_ids = fields.One2many("lead.tracking.duplicate.group", "wizard_id", string="All Groups")
    duplicate_group_ids = fields.One2many(
        "lead.tracking.duplicate.group",
        "wizard_id",
        string="Duplicate Groups",
        domain=[("kind", "=", "duplicate")],
    )
    separate_group_ids = fields.One2many(
        "lead.tracking.duplicate.group",
        "wizard_id",
        string="Separate Deals",
        domain=[("kind", "=", "separate")],
    )
    group_count = fields.Integer(compute="_compute_group_count")
    group_total = fields.Integer(
        string="Groups Found",
        readonly=True,
        help="Duplicate groups found; the best-scored ones are listed.",
    )
    listed_message = fields.Char(compute="_compute_listed_message")
    # the default is what the dialog shows when it opens (a compute without
    # dependencies is not evaluated for the new record of the dialog)
    fuzzy_available = fields.Boolean(
        string="Fuzzy Names",
        compute="_compute_fuzzy_available",
        default=lambda self: _pg_function_exists(self.env.cr, "similarity"),
        help="The database has PostgreSQL's pg_trgm extension: names are compared "
        "by similarity, not only when they are equal.",
    )
    searched = fields.Boolean(readonly=True)

    @api.depends("group_ids.kind")
    def _compute_group_count(self):
        for wizard in self:
            wizard.group_count = len(wizard.group_ids.filtered(lambda g: g.kind == "duplicate"))

    @api.depends("group_count", "group_total")
    def _compute_listed_message(self):
        for wizard in self:
            wizard.listed_message = wizard.group_total > wizard.group_count and _(
                "The best %(listed)s of %(total)s groups are listed: merge them and "
                "search again for the next ones.",
                listed=wizard.group_count,
                total=wizard.group_total,
            )

    def _compute_fuzzy_available(self):
        available = _pg_function_exists(self.env.cr, "similarity")
        for wizard in self:
            wizard.fuzzy_available = available

    @api.constrains("name_similarity")
    def _check_name_similarity(self):
        for wizard in self:
            if not 30 <= wizard.name_similarity <= 100:
                raise ValidationError(_("The name similarity must be between 30 and 100%."))

    def init(self):
        """Create pg_trgm (fuzzy names) and unaccent (accent-blind keys) when
        the server has them and lets this database user create them (both are
        trusted extensions from PostgreSQL 13); otherwise names are compared
        exactly, which the finder says."""
        cr = self.env.cr
        for extension in ("pg_trgm", "unaccent"):
            cr.execute(
                SQL(
                    """
                    SELECT installed_version IS NOT NULL,
                           (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                           OR (COALESCE(v.trusted, FALSE)
                               AND has_database_privilege(current_database(), 'CREATE'))
                      FROM pg_available_extensions e
                      LEFT JOIN pg_available_extension_versions v
                             ON v.name = e.name AND v.version = e.default_version
                     WHERE e.name = %s
                    """,
                    extension,
                )
            )
            row = cr.fetchone()
            if not row or row[0]:
                continue
            if not row[1]:
                _logger.info("lead_tracking: cannot create the %s extension", extension)
                continue
            try:
                with mute_logger("odoo.sql_db"), cr.savepoint(flush=False):
                    cr.execute(SQL("CREATE EXTENSION IF NOT EXISTS %s", SQL.identifier(extension)))
            except psycopg2.Error as error:  # the finder falls back on exact names
                _logger.info("lead_tracking: %s extension not created: %s", extension, error)

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def action_find(self):
        self.ensure_one()
        duplicates, separate = self._find_duplicate_groups()
        shown = duplicates[:GROUP_LIMIT]
        self.group_ids = [(5, 0, 0)] + [
            (
                0,
                0,
                {
                    "kind": kind,
                    "lead_ids": [(6, 0, group["ids"])],
                    "score": group["score"],
                    "reason": "\n".join(group["reasons"]),
                },
            )
            for kind, groups in (("duplicate", shown), ("separate", separate[:GROUP_LIMIT]))
            for group in groups
        ]
        self.group_total = len(duplicates)
        self.searched = True
        return self._reopen()

    def action_merge(self):
        self.ensure_one()
        groups = self.group_ids.filtered(
            lambda group: group.to_merge and group.kind == "duplicate" and not group.merged_lead_id
        )
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
        """Return ``(duplicates, separate)``: lists of ``{"ids", "score",
        "pairs"}``, best score first, the first ``GROUP_LIMIT`` of each with
        their ``reasons``. ``duplicates`` never joins two leads that are
        separate deals; ``separate`` lists the leads matched but kept apart
        for that reason."""
        self.ensure_one()
        pairs = self._candidate_pairs()
        if not pairs:
            return [], []
        lead_ids = {pair["a"] for pair in pairs} | {pair["b"] for pair in pairs}
        info = self._lead_info(lead_ids)
        return self._build_groups(pairs, info)

    def _candidate_pairs(self):
        """One SQL statement: the pairs of leads the user can read that share
        an email or a phone, or have similar names and companies."""
        Lead = self.env["crm.lead"].with_context(active_test=not self.include_lost)
        Lead.flush_model()
        self.env["res.partner"].flush_model(["name", "is_company", "commercial_partner_id"])
        query = Lead._search(self._lead_domain())
        cr = self.env.cr
        fuzzy = _pg_function_exists(cr, "similarity")
        accents = _pg_function_exists(cr, "unaccent")

        def norm(expr):
            if accents:
                expr = SQL("unaccent(%s)", expr)
            return SQL("trim(regexp_replace(lower(%s), '[[:punct:][:space:]]+', ' ', 'g'))", expr)

        def similarity(left, right):
            if fuzzy:
                return SQL("similarity(%s, %s)", left, right)
            return SQL("CASE WHEN %s = %s THEN 1.0 ELSE 0.0 END", left, right)

        # a person's words in alphabetical order: "Müller, José" = "Jose Muller"
        person = SQL(
            """array_to_string(ARRAY(
                   SELECT w FROM unnest(string_to_array(%s, ' ')) AS w
                    WHERE w <> '' ORDER BY w COLLATE "C"), ' ')""",
            norm(SQL("COALESCE(NULLIF(l.contact_name, ''), l.name, '')")),
        )
        # a company without its legal form: "ACME Inc." = "Acme"
        company = SQL(
            "trim(regexp_replace(regexp_replace(%s, %s, ' ', 'g'), ' +', ' ', 'g'))",
            norm(SQL("COALESCE(NULLIF(l.partner_name, ''), cp.name, '')")),
            r"\m(" + "|".join(LEGAL_SUFFIXES) + r")\M",
        )
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(TEMP_TABLE)))
        # the key sorts of 100,000 leads fit in memory (for this transaction only)
        cr.execute(SQL("SET LOCAL work_mem = %s", WORK_MEM))
        cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE %(table)s ON COMMIT DROP AS
                SELECT k.*,
                       COUNT(*) OVER (PARTITION BY k.email) AS email_n,
                       COUNT(*) OVER (PARTITION BY k.phone) AS phone_n,
                       COUNT(*) OVER (PARTITION BY k.company) AS company_n,
                       COUNT(*) OVER (PARTITION BY k.person) AS person_n
                  FROM (
                    SELECT l.id, l.email_normalized AS email, l.phone_sanitized AS phone,
                           %(person)s AS person, %(company)s AS company
                      FROM crm_lead l
                      LEFT JOIN res_partner p ON p.id = l.partner_id
                      LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
                                              AND cp.is_company
                     WHERE l.id IN %(leads)s
                  ) AS k
                """,
                table=SQL.identifier(TEMP_TABLE),
                person=person,
                company=company,
                leads=query.subselect(),
            )
        )
        cr.execute(SQL("ANALYZE %s", SQL.identifier(TEMP_TABLE)))
        table = SQL.identifier(TEMP_TABLE)
        threshold = self.name_similarity / 100.0
        cr.execute(
            SQL(
                """
                WITH pair AS (
                    SELECT a.id AS a_id, b.id AS b_id, 'email' AS why
                      FROM %(t)s a JOIN %(t)s b ON b.email = a.email AND b.id > a.id
                     WHERE a.email IS NOT NULL AND a.email_n <= %(limit)s
                    UNION ALL
                    SELECT a.id, b.id, 'phone'
                      FROM %(t)s a JOIN %(t)s b ON b.phone = a.phone AND b.id > a.id
                     WHERE a.phone IS NOT NULL AND a.phone_n <= %(limit)s
                    UNION ALL
                    SELECT a.id, b.id, 'name'
                      FROM %(t)s a JOIN %(t)s b ON b.company = a.company AND b.id > a.id
                     WHERE a.company <> '' AND a.person <> '' AND b.person <> ''
                       AND a.company_n <= %(limit)s
                       AND %(person_sim)s >= %(threshold)s
                    UNION ALL
                    SELECT a.id, b.id, 'name'
                      FROM %(t)s a
                      -- similar companies start alike: "Acme Trading" / "Acme Tradng"
                      JOIN %(t)s b ON b.person = a.person AND b.id > a.id
                                  AND left(b.company, 1) = left(a.company, 1)
                     WHERE a.person <> '' AND a.company <> '' AND b.company <> ''
                       AND a.company <> b.company AND a.person_n <= %(limit)s
                       AND %(company_sim)s >= %(threshold)s
                )
                SELECT p.a_id, p.b_id,
                       bool_or(p.why = 'email'), bool_or(p.why = 'phone'),
                       bool_or(p.why = 'name'),
                       MIN(a.email), MIN(a.phone),
                       MIN(%(person_sim)s), MIN(%(company_sim)s)
                  FROM pair p
                  JOIN %(t)s a ON a.id = p.a_id
                  JOIN %(t)s b ON b.id = p.b_id
                 GROUP BY p.a_id, p.b_id
                """,
                t=table,
                limit=BLOCK_LIMIT,
                threshold=threshold,
                person_sim=similarity(SQL("a.person"), SQL("b.person")),
                company_sim=similarity(SQL("a.company"), SQL("b.company")),
            )
        )
        rows = cr.fetchall()
        cr.execute(SQL("DROP TABLE IF EXISTS %s", table))
        return [
            {
                "a": a_id,
                "b": b_id,
                "email": email if same_email else False,
                "phone": phone if same_phone else False,
                "name": same_name,
                "person_similarity": float(person_sim or 0.0),
                "company_similarity": float(company_sim or 0.0),
                "score": self._pair_score(
                    same_email, same_phone, same_name, person_sim, company_sim
                ),
            }
            for (
                a_id,
                b_id,
                same_email,
                same_phone,
                same_name,
                email,
                phone,
                person_sim,
                company_sim,
            ) in rows
        ]

    @api.model
    def _pair_score(self, same_email, same_phone, same_name, person_sim, company_sim):
        """0-100: each piece of evidence alone, combined as a noisy-or."""
        doubt = 1.0
        if same_email:
            doubt *= 1 - EMAIL_WEIGHT
        if same_phone:
            doubt *= 1 - PHONE_WEIGHT
        if same_name:
            doubt *= 1 - (float(person_sim or 0) + float(company_sim or 0)) / 2
        return round(100 * (1 - doubt))

    def _lead_info(self, lead_ids):
        """What the grouping needs to know of each matched lead, in one query
        (the leads were already filtered by the user's access)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT l.id, l.type, l.stage_id, l.active, COALESCE(stage.is_won, FALSE),
                       array_remove(array_agg(rel.tag_id), NULL)
                  FROM crm_lead l
                  LEFT JOIN crm_stage stage ON stage.id = l.stage_id
                  LEFT JOIN crm_tag_rel rel ON rel.lead_id = l.id
                 WHERE l.id = ANY(%s)
                 GROUP BY l.id, stage.is_won
                """,
                sorted(lead_ids),
            )
        )
        rows = self.env.cr.fetchall()
        stages = {
            stage.id: stage for stage in self.env["crm.stage"].browse({row[2] for row in rows})
        }
        return {
            lead_id: {
                "type": lead_type,
                "stage": stages.get(stage_id, self.env["crm.stage"]),
                "won": bool(active and is_won),
                "lost": not active,
                "tags": set(tag_ids),
            }
            for lead_id, lead_type, stage_id, active, is_won, tag_ids in rows
        }

    @api.model
    def _separate_deal_reason(self, first, second):
        """Why two matched leads of one customer are separate deals (then they
        are never proposed together), or False. ``first``/``second`` are
        ``_lead_info`` values."""
        if first["won"] or second["won"]:
            return _("one of them is won")
        if first["lost"] or second["lost"]:
            return _("one of them is lost")
        if first["type"] == "opportunity" and second["type"] == "opportunity":
            if first["stage"] != second["stage"]:
                return _(
                    "different stages (%(first)s, %(second)s)",
                    first=first["stage"].name,
                    second=second["stage"].name,
                )
            if first["tags"] and second["tags"] and not first["tags"] & second["tags"]:
                return _("different products (tags)")
        return False

    def _pair_reason(self, pair, records):
        """``records``: the listed leads by id, sharing one prefetch."""
        first, second = records[pair["a"]], records[pair["b"]]
        evidence = []
        if pair["email"]:
            evidence.append(_("same email %(email)s", email=pair["email"]))
        if pair["phone"]:
            phone = first._phone_format(
                number=pair["phone"], force_format="INTERNATIONAL", raise_exception=False
            )
            evidence.append(_("same phone %(phone)s", phone=phone or pair["phone"]))
        if pair["name"] or pair["person_similarity"] >= 0.3:
            evidence.append(
                _(
                    "names %(person)s%% alike, companies %(company)s%% alike",
                    person=round(pair["person_similarity"] * 100),
                    company=round(pair["company_similarity"] * 100),
                )
            )
        return _(
            "%(first)s / %(second)s: %(evidence)s (score %(score)s)",
            first=_lead_label(first),
            second=_lead_label(second),
            evidence=", ".join(evidence),
            score=pair["score"],
        )

    def _build_groups(self, pairs, info):
        """Union-find over the pairs, strongest first, refusing any join that
        would put two separate deals in one group."""
        pairs = sorted(pairs, key=lambda pair: (-pair["score"], pair["a"], pair["b"]))
        parent, members, used = {}, {}, defaultdict(list)
        raw_parent = {}
        blocked = []

        def find(table, lead_id):
            table.setdefault(lead_id, lead_id)
            while table[lead_id] != lead_id:
                table[lead_id] = table[table[lead_id]]
                lead_id = table[lead_id]
            return lead_id

        for pair in pairs:
            a_id, b_id = pair["a"], pair["b"]
            raw_parent[find(raw_parent, a_id)] = find(raw_parent, b_id)
            root_a, root_b = find(parent, a_id), find(parent, b_id)
            if root_a == root_b:
                used[root_a].append(pair)
                continue
            group_a = members.get(root_a, [a_id])
            group_b = members.get(root_b, [b_id])
            why = next(
                (
                    reason
                    for x in group_a
                    for y in group_b
                    if (reason := self._separate_deal_reason(info[x], info[y]))
                ),
                False,
            )
            if why:
                blocked.append((pair, why))
                continue
            parent[root_a] = root_b
            members[root_b] = group_b + group_a
            members.pop(root_a, None)
            used[root_b] += used.pop(root_a, []) + [pair]

        duplicates = [
            {
                "ids": sorted(ids),
                # a group is as sure as its weakest link
                "score": min(pair["score"] for pair in used[root]),
                "pairs": used[root],
            }
            for root, ids in members.items()
        ]
        separate = defaultdict(lambda: {"ids": set(), "score": 0, "pairs": []})
        for pair, why in blocked:
            group = separate[find(raw_parent, pair["a"])]
            group["ids"].update((pair["a"], pair["b"]))
            group["score"] = max(group["score"], pair["score"])
            group["pairs"].append(dict(pair, why=why))
        separate = [dict(group, ids=sorted(group["ids"])) for group in separate.values()]
        order = lambda group: (-group["score"], group["ids"][0])  # noqa: E731
        duplicates, separate = sorted(duplicates, key=order), sorted(separate, key=order)
        self._describe(duplicates[:GROUP_LIMIT] + separate[:GROUP_LIMIT])
        return duplicates, separate

    def _describe(self, groups):
        """Write the reasons of the groups that are listed (only those: the
        labels and formatted phones cost a read per lead)."""
        listed = sorted({lead_id for group in groups for lead_id in group["ids"]})
        leads = self.env["crm.lead"].with_context(active_test=False).browse(listed)
        records = {lead.id: lead for lead in leads}
        for group in groups:
            reasons = []
            for pair in group["pairs"][:REASON_LINES]:
                reason = self._pair_reason(pair, records)
                if pair.get("why"):
                    reason = _("%(match)s, but kept apart: %(why)s", match=reason, why=pair["why"])
                reasons.append(reason)
            group["reasons"] = reasons


class LeadTrackingDuplicateGroup(models.TransientModel):
    _name = "lead.tracking.duplicate.group"
    _description = "Group of Duplicate Leads"
    _order = "score desc, id"

    wizard_id = fields.Many2one("lead.tracking.duplicate.wizard", required=True, ondelete="cascade")
    kind = fields.Selection(
        [("duplicate", "Duplicates"), ("separate", "Separate Deals")],
        required=True,
        default="duplicate",
        readonly=True,
    )
    lead_ids = fields.Many2many("crm.lead", string="Leads")
    lead_count = fields.Integer(compute="_compute_lead_count")
    lead_summary = fields.Text(
        string="Leads in the Group",
        compute="_compute_lead_summary",
        help="Each lead of the group with its contact, company, email, phone and stage.",
    )
    score = fields.Integer(
        readonly=True,
        help="How sure the finder is, from 0 to 100: same email 90, same phone "
        "85, similar names by their similarity, combined; a group is as sure as "
        "its weakest link.",
    )
    reason = fields.Text(string="Why", readonly=True)
    to_merge = fields.Boolean(string="Merge", default=False)
    merged_lead_id = fields.Many2one("crm.lead", string="Merged Into", readonly=True)

    @api.depends("lead_ids")
    def _compute_lead_count(self):
        for group in self:
            group.lead_count = len(group.lead_ids)

    @api.depends(
        "lead_ids.name",
        "lead_ids.contact_name",
        "lead_ids.partner_name",
        "lead_ids.email_from",
        "lead_ids.phone",
        "lead_ids.stage_id",
    )
    def _compute_lead_summary(self):
        for group in self:
            group.lead_summary = "\n".join(
                _lead_label(lead, details=True)
                for lead in group.lead_ids.sorted(lambda lead: (lead.create_date, lead.id))
            )

    @api.constrains("to_merge", "kind")
    def _check_to_merge(self):
        if any(group.to_merge and group.kind == "separate" for group in self):
            raise ValidationError(_("Separate deals of one customer cannot be merged."))

    def action_merge_group(self):
        self.ensure_one()
        if self.kind != "duplicate":
            raise UserError(_("Separate deals of one customer cannot be merged."))
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
                    _(
                        "Merged by the duplicate finder (score %(score)s): %(names)s.",
                        score=group.score,
                        names=names,
                    ),
                    group.reason or "",
                ),
                subtype_xmlid="mail.mt_note",
            )
            group.write(
                {"merged_lead_id": head.id, "to_merge": False, "lead_ids": [(6, 0, head.ids)]}
            )
