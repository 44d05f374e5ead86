"""Telling the team's chats (DingTalk, WeCom, Feishu, a generic JSON webhook) what ``shoporg
up``, ``drift`` and ``tasks`` found: ``channels`` (message formats, signatures), ``send``
(secrets, retries, reports), ``hooks`` (the one call each command makes)."""

from shoporg.notify.channels import Message
from shoporg.notify.hooks import after_drift, after_tasks, after_up, after_watch
from shoporg.notify.send import Outcome, announce, post

__all__ = ["Message", "Outcome", "after_drift", "after_tasks", "after_up", "after_watch",
           "announce", "post"]
