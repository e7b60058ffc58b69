"""Tests of the back office's disputes screens."""
