"""People and the companies they belong to, their traits, consent and suppression."""
