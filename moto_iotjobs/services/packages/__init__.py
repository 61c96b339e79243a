"""The Software Package Catalog: packages, package versions, SBOMs, the package
configuration, and what jobs do with them (`deployment`)."""
