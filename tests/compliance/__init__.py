"""Compliance: the anomaly scan and its cases, the retention job."""
