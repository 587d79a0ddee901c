"""closeloop: a self-hosted NPS program — journey events in, surveys out, answers acted on."""

__version__ = "0.1.0"
