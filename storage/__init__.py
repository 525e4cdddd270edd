"""The archive's database: models, engine factory, migrations, writes and reads."""
