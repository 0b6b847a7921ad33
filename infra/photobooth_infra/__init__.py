"""The photobooth CDK app: one construct per concern, composed by :class:`~photobooth_infra.stack.PhotoboothStack`."""
