"""The shoporg stack: org.yaml (path from stack config ``shoporg:orgFile``) → resources."""

from providers.program import main

main()
