"""Reading pages in tests."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def home_card(client: Client, key: str) -> str:
    """The HTML of the home page's card ``key`` for the client's user; "" when it is not shown."""
    body = client.get(reverse("home")).content.decode()
    marker = f'id="card-{key}"'
    if marker not in body:
        return ""
    return body.split(marker, 1)[1].split("</section>", 1)[0]
