"""Notify: messages, digests and reports that people read and act on."""
