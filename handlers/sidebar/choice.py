"""Which of a chat's linked clients the sidebar opens on (B1), so staff never send one client's figures into
another client's chat by accident.

In a chat linked to several clients (a boss who owns two companies, a group shared by them), in this order:
1. the client whose name best matches the chat: the group's name, or the contact's company (corp_name);
2. else the client this member last picked in this chat;
3. else a client this member manages or keeps the books for;
4. else the first by name.
"""
from __future__ import annotations

import models

MIN_MATCH = 2  # characters in common before a name counts as matching (one character is chance)


def _common_run(a: str, b: str) -> int:
    """Length of the longest run of characters ``a`` and ``b`` share."""
    best, previous = 0, [0] * (len(b) + 1)
    for ch in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if ch == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def name_match(chat_names: list[str], client: models.Client) -> int:
    """How well a client's name or short name matches the chat's names (0 below MIN_MATCH)."""
    score = max((_common_run(chat, name) for chat in chat_names if chat
                 for name in (client.short_name, client.name) if name), default=0)
    return score if score >= MIN_MATCH else 0


def default_client(staff: models.Staff, chat_key: str, chat_names: list[str],
                   clients: list[models.Client]) -> int | None:
    """The id of the client the sidebar opens on, by the rule above; None when the chat has no client."""
    if len(clients) <= 1:
        return clients[0].id if clients else None
    scores = {c.id: name_match(chat_names, c) for c in clients}
    best = max(scores.values())
    if best and list(scores.values()).count(best) == 1:
        return max(scores, key=scores.get)
    candidates = [c for c in clients if scores[c.id] == best]
    last = models.SidebarChoice.get_or_none((models.SidebarChoice.staff == staff.id)
                                            & (models.SidebarChoice.chat_key == chat_key))
    if last is not None and last.client_id in {c.id for c in candidates}:
        return last.client_id
    mine = [c for c in candidates if staff.id in (c.manager_id, c.accountant_id)]
    return (mine or candidates)[0].id


def remember_choice(staff: models.Staff, chat_key: str, client_id: int, now) -> None:
    """Record the client the member picked in this chat (the rule's second step)."""
    choice = models.SidebarChoice
    (choice.insert(staff=staff.id, chat_key=chat_key, client=client_id, chosen_at=now)
     .on_conflict(conflict_target=[choice.staff, choice.chat_key],
                  update={choice.client: client_id, choice.chosen_at: now})
     .execute())
