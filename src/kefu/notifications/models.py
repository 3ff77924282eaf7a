"""The outbox and the in-app notification centre."""
