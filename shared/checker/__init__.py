"""The delivery checker: is every stored event on the topic and in the views, once, in order?

``check`` reads a tenant's event store (the truth), its Kafka topic and its
views, and reports lost, duplicated and reordered counts, with republished
copies apart (see ``report.py`` for each definition). The fault tests assert
on it, and operators run it as ``entente check <tenant>``.

Nothing is imported here: ``entente`` imports the command's module to list it,
and the check's own imports (the projector, Kafka) would slow every command.
"""
