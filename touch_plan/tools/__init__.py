from .bulk_insert import can_insert, insert_rows
