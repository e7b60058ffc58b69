"""Compliance: the review queue of identification anomalies; retention of identification data."""
