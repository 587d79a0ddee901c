"""The journey map: ordered stages and the touchpoints where customers meet the product."""
