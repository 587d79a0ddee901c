"""The Segment-compatible intake: Segment and RudderStack server libraries post here."""
