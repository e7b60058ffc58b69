"""One index per key on the ledger's hot path (bench/ledger_post.py).

- The idempotency key and the account code get one unique index each, with the pattern operator
  class so prefix lookups use it too, instead of a unique constraint plus Django's `_like` index.
- Entries are keyed by (account, transfer), and that primary key is their one index: the
  (account, transfer) index beside a (transfer, account) key is gone. Django's migrations do not
  alter a composite primary key, so `KeyEntriesByAccount` does it: on PostgreSQL in place, on
  SQLite by rebuilding the table as Django does for any change SQLite cannot alter.
"""

from django.db import migrations, models

_OLD_INDEX = models.Index(fields=["account", "transfer"], name="ledger_entr_account_fd661f_idx")
_NEW_KEY = ("account_id", "transfer_id")
_OLD_KEY = ("transfer_id", "account_id")


def _primary_key_sql(schema_editor, table, columns):
    quote = schema_editor.quote_name
    return (
        f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(table + '_pkey')}, "
        f"ADD CONSTRAINT {quote(table + '_pkey')} PRIMARY KEY "
        f"({', '.join(quote(column) for column in columns)})"
    )


class KeyEntriesByAccount(migrations.operations.base.Operation):
    """Entry's primary key (transfer, account) becomes (account, transfer); its index goes."""

    reversible = True
    state_operations = [
        migrations.RemoveIndex(model_name="entry", name=_OLD_INDEX.name),
        migrations.AlterField(
            model_name="entry",
            name="pk",
            field=models.CompositePrimaryKey(
                *_NEW_KEY, blank=True, editable=False, primary_key=True, serialize=False
            ),
        ),
    ]

    def state_forwards(self, app_label, state):
        for operation in self.state_operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        new_model = to_state.apps.get_model(app_label, "entry")
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.remove_index(new_model, _OLD_INDEX)
            schema_editor.execute(_primary_key_sql(schema_editor, new_model._meta.db_table, _NEW_KEY))
        elif vendor == "sqlite":
            schema_editor._remake_table(new_model)  # the old index goes with the old table
        else:
            raise NotImplementedError(f"no primary key change for {vendor}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        old_model = to_state.apps.get_model(app_label, "entry")
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(_primary_key_sql(schema_editor, old_model._meta.db_table, _OLD_KEY))
            schema_editor.add_index(old_model, _OLD_INDEX)
        elif vendor == "sqlite":
            schema_editor._remake_table(old_model)  # recreates the old model's index
        else:
            raise NotImplementedError(f"no primary key change for {vendor}")

    def describe(self):
        return "Key ledger entries by (account, transfer), their one index"

    @property
    def migration_name_fragment(self):
        return "key_entries_by_account"


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
    ]

    operations = [
        # The new unique indexes first: the keys are never without one.
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.UniqueConstraint(
                fields=("idempotency_key",),
                name="ledger_transfer_idempotency_key_unique",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="idempotency_key",
            field=models.CharField(max_length=200),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                fields=("code",), name="ledger_account_code_unique", opclasses=["varchar_pattern_ops"]
            ),
        ),
        migrations.AlterField(
            model_name="account",
            name="code",
            field=models.CharField(max_length=100),
        ),
        KeyEntriesByAccount(),
    ]
