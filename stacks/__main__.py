"""The shoporg stack: org.yaml (path from stack config ``shoporg:orgFile``) → resources."""

from shoporg.program import main

main()
