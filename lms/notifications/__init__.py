"""The notification inbox (消息)."""
