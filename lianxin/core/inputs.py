"""One way in per action: the input definition both the page and the API use.

An action's input is declared once, as an :class:`ActionForm`: its fields (with their limits),
the scoped lookups that turn public ids into visible rows, and ``act`` — the one call to the
``do_<verb>_<noun>`` action. The HTML page renders and validates that form
(:func:`lianxin.core.adapters.page_step`), the API validates the very same form on the request's
data and publishes a serializer generated from it in the OpenAPI schema
(:func:`lianxin.core.adapters.api_step`). So both paths give the same answer and the same error
for the same input. See docs/architecture.md, "One way in per action".
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import get_for_user

M = TypeVar("M", bound=models.Model)

NOT_FOUND = _("Not found.")


def mark_resolved(row: Any, user: Any) -> Any:
    """Remember that ``row`` was fetched within ``user``'s scope (an action need not re-check)."""
    if row is not None:
        row._resolved_for = getattr(user, "pk", None)
    return row


def is_resolved(row: Any, user: Any) -> bool:
    """Whether ``row`` came out of :func:`resolve` (or a scoped field) for ``user``."""
    return row is not None and getattr(row, "_resolved_for", object()) == getattr(user, "pk", None)


def resolve(
    source: type[M] | models.QuerySet, user: Any, public_id: Any, *, field: str | None = None
) -> M | None:
    """The one scoped lookup: a public id → the row ``user`` may see.

    With ``field`` (an id named in input) an unknown or invisible id is a field error
    (``{field: ["Not found."]}``, a 400 on the API, a form error on the page) and an empty id is
    ``None``. Without ``field`` (the id in the URL) it is a 404.
    """
    if field is None:
        return mark_resolved(get_for_user(source, user, public_id), user)
    if public_id in (None, ""):
        return None
    queryset = source._default_manager.all() if isinstance(source, type) else source
    try:
        key = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        raise ValidationError({field: [NOT_FOUND]}) from None
    row = queryset.visible_to(user).filter(external_id=key).first()
    if row is None:
        raise ValidationError({field: [NOT_FOUND]})
    return mark_resolved(row, user)


def resolve_or_404(source: type[M] | models.QuerySet, user: Any, public_id: Any) -> M:
    """The row named in the URL, within the user's scope; anything else is a 404."""
    row = resolve(source, user, public_id)
    if row is None:  # pragma: no cover - get_for_user raises instead
        raise Http404("not found")
    return row


class RowChoiceField(forms.ModelChoiceField):
    """A public id naming one row of the given queryset (e.g. an item of the target already
    resolved); anything else, a malformed id included, is the field error "Not found."."""

    default_error_messages = {"invalid_choice": NOT_FOUND}

    def __init__(self, queryset: models.QuerySet, **kwargs: Any):
        kwargs.setdefault("to_field_name", "external_id")
        super().__init__(queryset, **kwargs)

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            try:
                uuid.UUID(str(value))
            except (TypeError, ValueError):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().to_python(value)


class ScopedChoiceField(RowChoiceField):
    """A public id naming a row the user may see. :class:`ActionForm` restricts the queryset to
    ``visible_to(user)``; an id outside it is the field error "Not found.", as on the API."""


class ScopedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several public ids, each a row the user may see (else "Not found.")."""

    default_error_messages = {
        "invalid_choice": NOT_FOUND,
        "invalid_pk_value": NOT_FOUND,
    }

    def __init__(self, queryset: models.QuerySet, **kwargs: Any):
        kwargs.setdefault("to_field_name", "external_id")
        super().__init__(queryset, **kwargs)

    def _check_values(self, value: Any) -> Any:
        for item in value:
            try:
                uuid.UUID(str(item))
            except (TypeError, ValueError):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super()._check_values(value)


class VersionField(forms.IntegerField):
    """The version of the item the user last saw (optimistic concurrency); optional."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)


class _Offer(BaseChoiceIterator):
    """Lazily listed choices of a scoped field (no query unless the page renders them)."""

    def __init__(self, field: forms.ModelChoiceField, queryset: models.QuerySet):
        self.field, self.queryset = field, queryset

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for row in self.queryset:
            yield (str(row.external_id), self.field.label_from_instance(row))

    def __len__(self) -> int:
        return len(list(iter(self)))


class ActionForm(forms.Form):
    """The one input definition of one action.

    Subclasses declare fields and implement :meth:`act`; optionally :meth:`setup` narrows
    choices to the target. ``user`` is the actor; ``target`` is the row the step acts on (the
    referral being accepted), already resolved from the URL. Every :class:`ScopedChoiceField` is
    restricted to what ``user`` may see, so a form cannot forget the scope.
    """

    #: the message the page shows after the action worked
    success: str = ""
    #: extra fields for the generated API serializer (e.g. a list the page spreads over rows)
    api_fields: dict[str, Any] = {}

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        user: Any,
        target: Any = None,
        **kwargs: Any,
    ):
        self.user = user
        self.target = target
        #: the querysets the page lists for scoped fields (see :meth:`offer`)
        self.offered: dict[str, models.QuerySet] = {}
        self.result: Any = None
        if target is not None and "version" in self.base_fields:
            kwargs.setdefault("initial", {}).setdefault("version", getattr(target, "version", None))
        super().__init__(data, files, **kwargs)
        for field in self.fields.values():
            if isinstance(field, ScopedChoiceField | ScopedMultipleChoiceField):
                field.queryset = field.queryset.visible_to(user)
        self.setup()

    def setup(self) -> None:
        """Narrow choices (e.g. to the departments of the receiving institution)."""

    def offer(self, name: str, queryset: models.QuerySet) -> None:
        """The choices the page lists for a scoped field (e.g. care institutions, higher levels
        first). Display only: the field still accepts any row in scope and the action decides,
        so the page and the API give the same answer."""
        field = self.fields[name]
        field.widget.choices = _Offer(field, queryset)
        self.offered[name] = queryset

    @classmethod
    def from_api(cls, data: Any) -> Any:
        """Turn an API body into this form's data (override for lists the page spreads out)."""
        return data

    def act(self, data: dict[str, Any]) -> Any:
        """Call the action with the cleaned input and return what it returns."""
        raise NotImplementedError(f"{type(self).__name__} does not say which action it calls")

    def resolved(self, name: str) -> Any:
        """A cleaned scoped field, marked as resolved for the user."""
        return mark_resolved(self.cleaned_data.get(name), self.user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, ScopedChoiceField) and data.get(name) is not None:
                mark_resolved(data[name], self.user)
        return data

    def take_errors(self, exc: ValidationError) -> None:
        """Put an action's validation error on this form (unknown fields become form errors)."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)
