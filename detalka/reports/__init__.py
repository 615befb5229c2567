"""Billing-detail reports: the report model, building it from the database, four formats.

``build.build_report`` fills a ``report.Report`` for an order from the model-level queries;
``formats.renderer_for`` picks the writer of its format. Nothing here knows of orders'
statuses, files on disk or the broker: that is ``detalka.resolvers.rendering``.
"""
