"""Thin adapters from an :class:`~lianxin.core.inputs.ActionForm` to a page and to the API.

Both do the same three things: parse (bind the form), call (``form.act``), render. Neither holds
any rule: limits live on the form, rules in the action.

- :func:`submit` — bind-and-call for a page that re-renders the form on error (a create page).
- :func:`page_step` — one small POST view per workflow step; errors become page messages.
- :func:`api_step` — one DRF ``@action`` per workflow step, its request schema generated from
  the form (:func:`serializer_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from lianxin.core.errors import ActionError
from lianxin.core.inputs import (
    ActionForm,
    ScopedChoiceField,
    ScopedMultipleChoiceField,
    VersionField,
)


def run_action(request: HttpRequest, form, action: Callable[[], Any], success: str) -> bool:
    """Call an action for a page that is not (yet) an ActionForm; put its errors on ``form``
    (or the page's messages when there is none) and report success."""
    try:
        action()
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.error(request, " ".join(exc.messages))
        return False
    except ActionError as exc:
        if form is not None:
            form.add_error(None, str(exc))
        else:
            messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def submit(form: ActionForm) -> bool:
    """Validate ``form`` and call its action; errors (the form's or the action's) land on the
    form. The action's result is ``form.result``. Returns whether it worked."""
    if not form.is_valid():
        return False
    try:
        form.result = form.act(form.cleaned_data)
    except ValidationError as exc:
        form.take_errors(exc)
        return False
    except ActionError as exc:
        form.add_error(None, str(exc))
        return False
    return True


def errors_to_messages(request: HttpRequest, form: forms.Form) -> None:
    """Show a step form's errors on the page it redirects back to."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


def page_step(
    form_class: type[ActionForm],
    *,
    load: Callable[[HttpRequest, Any], Any],
    done: Callable[[Any], Any],
    then: Callable[[Any, Any], Any] | None = None,
) -> Callable[..., HttpResponse]:
    """A POST-only page view for one workflow step: ``load`` resolves the URL's id (404 outside
    the scope), the form is bound and its action called, then the user is sent to ``done``.
    ``then(target, result)``, if given, names where to go after the step worked instead (the
    row the action made or opened), or ``None`` for ``done``."""

    @login_required
    @require_POST
    def view(request: HttpRequest, id: Any) -> HttpResponse:
        target = load(request, id)
        form = form_class(request.POST, request.FILES, user=request.user, target=target)
        if submit(form):
            messages.success(request, str(form.success))
            after = then(target, form.result) if then is not None else None
            if after is not None:
                return redirect(after)
        else:
            errors_to_messages(request, form)
        return redirect(done(target))

    view.__name__ = view.__qualname__ = f"{form_class.__name__}_page"
    view.__doc__ = form_class.__doc__
    return view


def api_errors(form: forms.Form) -> dict[str, list[str]]:
    """A form's errors in DRF's shape (form-wide errors under ``non_field_errors``)."""
    return {
        ("non_field_errors" if name == "__all__" else name): list(errors)
        for name, errors in form.errors.items()
    }


def run_api(form_class: type[ActionForm], request: Any, target: Any = None) -> Any:
    """Bind ``form_class`` to an API request and call its action; a bad input is a 400 with the
    form's errors, an action's error goes to the API error handler (4xx with its message)."""
    form = form_class(
        form_class.from_api(request.data), request.FILES, user=request.user, target=target
    )
    if not form.is_valid():
        raise serializers.ValidationError(api_errors(form))
    return form.act(form.cleaned_data)


def api_step(
    form_class: type[ActionForm],
    *,
    name: str,
    respond: Callable[[Any, Any, Any], Response],
    url_path: str | None = None,
    response_serializer: Any = None,
) -> Callable[..., Response]:
    """A DRF detail ``@action`` (POST) for one step: ``self.get_object()`` resolves the URL's id
    (404 outside the scope), :func:`run_api` calls the action, ``respond(viewset, target,
    result)`` renders the answer. The request schema is generated from the form."""

    def method(self: Any, request: Any, id: Any = None) -> Response:
        target = self.get_object()
        result = run_api(form_class, request, target)
        return respond(self, target, result)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = form_class.__doc__
    method = extend_schema(request=serializer_for(form_class), responses=response_serializer)(
        method
    )
    return action(detail=True, methods=["post"], url_path=url_path or name.replace("_", "-"))(
        method
    )


_SERIALIZERS: dict[type, type[serializers.Serializer]] = {}


def serializer_for(form_class: type[ActionForm]) -> type[serializers.Serializer] | None:
    """A DRF serializer describing ``form_class``'s fields, for the OpenAPI schema only (the
    form validates). ``None`` for a form without fields."""
    if form_class in _SERIALIZERS:
        return _SERIALIZERS[form_class]
    attrs: dict[str, Any] = {}
    for name, field in form_class.base_fields.items():
        attrs[name] = _api_field(field)
    for name, field in form_class.api_fields.items():
        attrs[name] = field
    if not attrs:
        return None
    app = form_class.__module__.split(".")[1].title() if "." in form_class.__module__ else ""
    name = f"{app}{form_class.__name__.removesuffix('Form')}Input"
    serializer = type(name, (serializers.Serializer,), attrs)
    _SERIALIZERS[form_class] = serializer
    return serializer


def _api_field(field: forms.Field) -> serializers.Field:
    common: dict[str, Any] = {
        "required": field.required,
        "help_text": str(field.help_text or field.label or "") or None,
    }
    if isinstance(field, ScopedMultipleChoiceField):
        return serializers.ListField(child=serializers.UUIDField(), **common)
    if isinstance(field, ScopedChoiceField):
        return serializers.UUIDField(allow_null=not field.required, **common)
    if isinstance(field, VersionField):
        return serializers.IntegerField(help_text="The version you last saw.", required=False)
    if isinstance(field, forms.TypedChoiceField) and field.coerce is int:
        return serializers.IntegerField(**common)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=list(field.choices), **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(required=False, help_text=common["help_text"])
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(**common)
    if isinstance(field, forms.DateTimeField):
        return serializers.DateTimeField(**common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    if isinstance(field, forms.FileField):
        return serializers.ListField(child=serializers.FileField(), **common)
    if isinstance(field, forms.URLField):
        return serializers.URLField(allow_blank=not field.required, **common)
    if isinstance(field, forms.UUIDField):
        return serializers.UUIDField(**common)
    max_length = getattr(field, "max_length", None)
    return serializers.CharField(allow_blank=not field.required, max_length=max_length, **common)
