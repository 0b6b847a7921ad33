"""``BoothKey`` of ``photobooth serve``, which has no booth key: it starts work for anyone who can reach it, and it
answers only this machine (127.0.0.1), whose users can read its data folder anyway. What a pad may do on AWS with
the key, any local client may do here; the rules in ``photobooth.api`` are the same for both."""

from __future__ import annotations


class NoBoothKey:
    def accepts(self, presented: str | None) -> bool:
        return True
