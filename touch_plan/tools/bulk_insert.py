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
    """Insert rows of ``model`` with one ``INSERT ... SELECT FROM unnest()`` per batch.

    Meant for the large append-only sets where the per-record work of
    ``create()`` dominates: the touches of a contact plan, the lines and tier
    history of a club review. Unlike ``create()``, nothing is computed, checked,
    tracked or logged in the chatter: ``vals_list`` must hold the final value of
    every stored column to fill, stored related and computed fields included;
    the other columns get their default (read once for all rows). Only plain
    column fields are accepted (no x2many, translated or company-dependent field).

    As ``create()`` does, the caches of the one2many fields pointing to the new
    rows are invalidated and the fields depending on them marked to recompute.

    :param model: an (empty) recordset of the model to insert into
    :param vals_list: list of ``{field_name: value}`` in the ``write()`` format
    :param batch_size: rows per INSERT
    :return: the new records
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
    columns = SQL(", ").join(SQL.identifier(field.name) for field in fields)
    now = env.cr.now()
    ids = []
    # the column value of a plain value depends on the value alone: converted once
    memos = {field.name: {} for field in fields if field.type in MEMO_TYPES}
    for batch in split_every(batch_size, vals_list):
        # one array per column, unnested into rows: one query, few parameters
        arrays = SQL(", ").join(
            SQL(
                "%s::%s[]",
                _column_values(field, model, batch, defaults.get(field.name), memos),
                SQL(field.column_type[0]),
            )
            for field in fields
        )
        ids.extend(
            row[0]
            for row in env.execute_query(
                SQL(
                    """
                    INSERT INTO %(table)s (%(columns)s, %(log_columns)s)
                    SELECT %(columns)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM unnest(%(arrays)s) AS v(%(columns)s)
                    RETURNING id
                    """,
                    table=SQL.identifier(model._table),
                    columns=columns,
                    log_columns=SQL(", ").join(SQL.identifier(name) for name in LOG_ACCESS_COLUMNS),
                    uid=env.uid,
                    now=now,
                    arrays=arrays,
                )
            )
        )
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


def _column_values(field, model, batch, default, memos):
    """The column values of ``field`` for the rows of ``batch``."""
    name = field.name
    memo = memos.get(name)
    if memo is None:
        return [
            field.convert_to_column_insert(vals.get(name, default), model, vals) for vals in batch
        ]
    values = []
    for vals in batch:
        value = vals.get(name, default)
        try:
            values.append(memo[value])
        except KeyError:
            memo[value] = field.convert_to_column_insert(value, model, vals)
            values.append(memo[value])
        except TypeError:  # not hashable (a record, a list): no memo
            values.append(field.convert_to_column_insert(value, model, vals))
    return values
