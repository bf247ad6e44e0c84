"""The entry point of a training child process: nothing here imports Django models before setup."""


def train(database: dict, sending) -> None:
    """Set Django up on the parent's database (a test database included), train, send the report back."""
    import django

    django.setup()
    from django.db import connections

    from insight.training import train_and_store

    connections["default"].settings_dict.update(database)
    try:
        sending.send(train_and_store())
    finally:
        sending.close()
