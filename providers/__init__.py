"""shoporg: a seller organization (departments, sub-accounts, roles, shop bindings) as code.

The package is named ``providers`` because the project layout (SPEC) puts the installable
code in the top-level ``providers/`` folder; the distribution and the CLI are ``shoporg``.
"""

__version__ = "0.1.0"
