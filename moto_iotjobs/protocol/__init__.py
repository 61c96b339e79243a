"""The generic, spec-driven protocol layer: botocore's model, routing, parsing, validation, errors, identity, paging and dispatch. Knows no service's behaviour."""
