"""Industry playbooks: a journey, its surveys and trigger rules, shipped as YAML files."""
