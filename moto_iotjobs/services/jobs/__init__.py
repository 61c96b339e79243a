"""AWS IoT Jobs: records, lifecycle table, store, operations of both planes, documents, templates, targets, notifications."""
