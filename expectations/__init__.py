"""Great Expectations quality gate: suites as code (raw, marts, operations), the runner that
validates the warehouse and records every result in `quality.*`, and the gate the DAGs consult.

Importing this package does not import Great Expectations (slow, chatty): only `runner` does,
and only when a check actually runs.
"""
