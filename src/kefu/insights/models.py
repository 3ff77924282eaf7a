"""Figures read the rollups their apps keep (feedback, complaints, promises); insights keeps none."""
