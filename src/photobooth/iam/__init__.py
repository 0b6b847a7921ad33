"""The AWS permissions the code needs, as recorded from its own calls (``aws_calls.json``, ``make aws-calls``)."""
