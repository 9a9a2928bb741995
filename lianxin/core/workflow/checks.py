"""A system check so that a workflow model missing its history table fails at start-up, not at
its first transition."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from lianxin.core.workflow.definition import Workflow
from lianxin.core.workflow.escalation import workflow_models
from lianxin.core.workflow.models import WorkflowItem


def problems_of(model: type[WorkflowItem]) -> list[checks.CheckMessage]:
    out: list[checks.CheckMessage] = []
    if not isinstance(model.workflow, Workflow):
        out.append(
            checks.Error(
                "`workflow` must be a lianxin.core.workflow.Workflow", obj=model, id="workflow.E001"
            )
        )
    try:
        model.history_model()
    except ImproperlyConfigured as exc:
        out.append(checks.Error(str(exc), obj=model, id="workflow.E002"))
    return out


@checks.register(checks.Tags.models)
def check_workflow_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    out: list[checks.CheckMessage] = []
    for model in workflow_models():
        if app_configs is None or model._meta.app_config in app_configs:
            out.extend(problems_of(model))
    return out
