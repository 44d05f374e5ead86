"""``python -m shoporg.schema`` prints the org.yaml JSON Schema (same as ``shoporg schema``)."""

import sys

from shoporg.schema.export import render_json_schema

sys.stdout.write(render_json_schema())
