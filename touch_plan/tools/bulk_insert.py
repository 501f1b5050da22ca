import datetime
import io
import itertools

import psycopg2.extensions

from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL, split_every

BATCH_SIZE = 5000
# field types whose column value depends on the Python value alone
MEMO_TYPES = ("boolean", "char", "date", "datetime", "integer", "many2one", "selection")


def can_insert(field):
    """Whether :func:`insert_rows` can fill ``field``: a plain stored column."""
    return bool(
        field.store and field.column_type and not field.translate and not field.company_dependent
    )


def insert_rows(model, vals_list, batch_size=BATCH_SIZE):
    """Insert rows of ``model`` with one ``COPY`` per batch, as Odoo's own
    ``_ensure_xml_id`` does.

    Meant for the large append-only sets where the per-record work of
    ``create()`` dominates: the touches of a contact plan, the mails of a
    batch. Unlike ``create()``, nothing is computed, checked, tracked or logged
    in the chatter: ``vals_list`` must hold the final value of every stored
    column to fill, stored computed fields included; the other columns get
    their default (read once for all rows). Only plain column fields are
    accepted (no x2many, translated or company-dependent field). The database
    checks its constraints (foreign keys, unique keys) on every row as for an
    ``INSERT``; the ids come from the table's sequence, taken for the batch at
    once (``COPY`` returns none), and the rows are parsed as text, not as the
    SQL literals of an ``INSERT`` (a third of its time for millions of rows).

    As ``create()`` does, the caches of the one2many fields pointing to the new
    rows are invalidated and the fields depending on them marked to recompute.

    :param model: an (empty) recordset of the model to insert into
    :param vals_list: list of ``{field_name: value}`` in the ``write()`` format
    :param batch_size: rows per COPY
    :return: the new records, in the order of ``vals_list``
    """
    if not vals_list:
        return model.browse()
    env = model.env
    names = {name for vals in vals_list for name in vals}
    defaults = model.default_get(
        [
            name
            for name, field in model._fields.items()
            if can_insert(field) and name not in names and name not in ("id", *LOG_ACCESS_COLUMNS)
        ]
    )
    fields = [model._fields[name] for name in sorted(names | defaults.keys())]
    for field in fields:
        if not can_insert(field):
            raise ValueError(f"{field} cannot be inserted in bulk")
    copy = SQL(
        "COPY %s (id, %s, %s) FROM STDIN",
        SQL.identifier(model._table),
        SQL(", ").join(SQL.identifier(field.name) for field in fields),
        SQL(", ").join(SQL.identifier(name) for name in LOG_ACCESS_COLUMNS),
    )
    # create_uid, create_date, write_uid, write_date
    log_access = "\t".join(_copy_text(value) for value in (env.uid, env.cr.now()) * 2)
    ids = []
    # the text of a plain value depends on the value alone: converted once
    memos = {field.name: {} for field in fields if field.type in MEMO_TYPES}
    for batch in split_every(batch_size, vals_list):
        batch_ids = [
            row[0]
            for row in env.execute_query(
                SQL(
                    "SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id'))) "
                    "FROM generate_series(1, %s)",
                    model._table,
                    len(batch),
                )
            )
        ]
        columns = [
            _column_texts(field, model, batch, defaults.get(field.name), memos) for field in fields
        ]
        rows = zip(map(str, batch_ids), *columns, itertools.repeat(log_access))
        text = "\n".join(map("\t".join, rows)) + "\n"
        _copy_from(env.cr, copy, text)
        ids.extend(batch_ids)
    # the new rows are in the one2many fields of their parents
    for field in fields:
        if field.type != "many2one":
            continue
        inverses = [inverse.name for inverse in model.pool.field_inverses[field]]
        if inverses:
            parents = env[field.comodel_name].browse(
                {vals[field.name] for vals in vals_list if vals.get(field.name)}
            )
            parents.invalidate_recordset(inverses)
            parents.modified(inverses)
    return model.browse(ids)


def _copy_from(cr, copy, text):
    """``COPY ... FROM STDIN`` of ``text`` (without gevent's wait callback, which
    COPY does not support, as in ``odoo.models._ensure_xml_id``)."""
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        cr.copy_expert(copy.code, io.StringIO(text))
    finally:
        psycopg2.extensions.set_wait_callback(callback)


# COPY's text format: backslash escapes, \N for NULL
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """The text of a column value (as converted by ``convert_to_column_insert``)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if isinstance(value, (datetime.date, int, float)):
        return str(value)
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    raise ValueError(f"{value!r} cannot be inserted in bulk")


def _column_texts(field, model, batch, default, memos):
    """The column texts of ``field`` for the rows of ``batch``."""
    name = field.name
    values = [vals.get(name, default) for vals in batch]
    memo = memos.get(name)
    if memo is not None:
        try:
            # the rows of each new value, the first one kept (converted with it)
            first = dict(zip(reversed(values), reversed(batch), strict=True))
            for value in first.keys() - memo.keys():
                memo[value] = _copy_text(field.convert_to_column_insert(value, model, first[value]))
            return list(map(memo.__getitem__, values))
        except TypeError:  # not hashable (a record, a list): no memo
            pass
    return [
        _copy_text(field.convert_to_column_insert(value, model, vals))
        for value, vals in zip(values, batch, strict=True)
    ]
