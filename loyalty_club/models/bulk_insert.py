from odoo.tools import SQL

LOG_ACCESS = ("create_uid", "create_date", "write_uid", "write_date")


def can_insert(field):
    """Whether :func:`insert_rows` can fill ``field``: a plain stored column."""
    return bool(
        field.store and field.column_type and not field.translate and not field.company_dependent
    )


def insert_rows(model, vals_list):
    """Insert rows of ``model`` with a single ``INSERT ... SELECT FROM unnest()``.

    Meant for large append-only logs (review lines, tier history) where the
    per-record work of ``create()`` dominates a club review. Unlike ``create()``,
    nothing is defaulted, computed or checked: ``vals_list`` must hold the final
    value of every stored column to fill, stored related fields included (a
    missing key is ``NULL``). Only plain column fields are accepted (no x2many,
    translated or company-dependent field).

    The caches of the one2many fields pointing to the new rows are invalidated and
    the fields depending on them are marked to recompute, as ``create()`` would.

    :param model: an (empty) recordset of the model to insert into
    :param vals_list: list of ``{field_name: value}`` in the ``write()`` format
    :return: the new records
    """
    if not vals_list:
        return model.browse()
    fnames = sorted({fname for vals in vals_list for fname in vals})
    fields = [model._fields[fname] for fname in fnames]
    for field in fields:
        if not can_insert(field):
            raise ValueError(f"{field} cannot be inserted in bulk")
    columns = [
        [field.convert_to_column_insert(vals.get(field.name), model, vals) for vals in vals_list]
        for field in fields
    ]
    env = model.env
    env.cr.execute(
        SQL(
            """
            INSERT INTO %(table)s (%(columns)s, %(log_columns)s)
            SELECT %(columns)s, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(arrays)s) AS v(%(columns)s)
            RETURNING id
            """,
            table=SQL.identifier(model._table),
            columns=SQL(", ").join(SQL.identifier(fname) for fname in fnames),
            log_columns=SQL(", ").join(SQL.identifier(fname) for fname in LOG_ACCESS),
            uid=env.uid,
            now=env.cr.now(),
            arrays=SQL(", ").join(
                SQL("%s::%s[]", values, SQL(field.column_type[0]))
                for field, values in zip(fields, columns, strict=True)
            ),
        )
    )
    records = model.browse(row[0] for row in env.cr.fetchall())
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
    return records
