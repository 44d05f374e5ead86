"""shoporg: a seller organization (departments, sub-accounts, roles, shop bindings) as code.

The source folder is ``providers/`` (the project layout); it installs as the package
``shoporg`` (pyproject.toml: ``package-dir``). The version below is the distribution's too
(pyproject.toml reads it), and the one ``shoporg new`` pins a company's repository to.
"""

__version__ = "0.1.0"
