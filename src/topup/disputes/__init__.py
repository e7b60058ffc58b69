"""Disputes of a top-up: refund, goodwill credit or rejection, four eyes above a limit."""
