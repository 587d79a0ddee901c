"""``/api/v1/rules``: trigger rules, versioned (admin keys only).

A rule's body is its definition, the same JSON a playbook writes in YAML; an invalid one
is a 422 whose ``errors`` name the field by its path (``conditions.all.0.op``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from closeloop.api.deps import AdminKey, ReadSessionDep, RuntimeDep, SessionDep
from closeloop.triggers import rules
from closeloop.triggers.models import RuleKind
from closeloop.triggers.schemas import RULE_EXAMPLES, RuleRead, RuleVersionRead

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's scope does not allow this"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such rule"}}
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "The definition is not valid (or names no known survey); `errors` "
        "names the field by its path, such as `conditions.all.0.op`"
    }
}
Definition = Annotated[
    dict[str, Any],
    Body(
        description="The rule's definition: `kind` (event, date, recurring or campaign) "
        "decides the other fields. See docs/playbooks.md.",
        openapi_examples=RULE_EXAMPLES,
    ),
]


@router.get("", summary="List rules", responses=_ERRORS)
def list_rules(
    session: ReadSessionDep,
    _key: AdminKey,
    kind: Annotated[RuleKind | None, Query(description="Only rules of this kind.")] = None,
) -> list[RuleRead]:
    found = rules.list_(session=session, kind=kind.value if kind is not None else None)
    return [RuleRead.of(rule) for rule in found]


@router.post(
    "",
    status_code=201,
    summary="Create a rule",
    responses={**_ERRORS, **_INVALID, 409: {"description": "A rule with this key exists"}},
)
def create_rule(
    definition: Definition, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> RuleRead:
    """Create a rule at version 1; it runs from the next event (or planning round) on."""
    rule = rules.create(session=session, data=definition, now=runtime.clock.now())
    return RuleRead.of(rule)


@router.get("/{key}", summary="Read a rule", responses={**_ERRORS, **_NOT_FOUND})
def read_rule(key: str, session: ReadSessionDep, _key: AdminKey) -> RuleRead:
    return RuleRead.of(rules.get_or_404(session=session, key=key))


@router.put(
    "/{key}",
    summary="Change a rule (a new version)",
    responses={**_ERRORS, **_NOT_FOUND, **_INVALID, 409: {"description": "The kind changed"}},
)
def update_rule(
    key: str, definition: Definition, session: SessionDep, runtime: RuntimeDep, _key: AdminKey
) -> RuleRead:
    """Replace the definition; a real change adds a version, the same definition does not.
    Invitations already made keep the version that made them. A rule keeps its kind."""
    rule = rules.update(session=session, key=key, data=definition, now=runtime.clock.now())
    return RuleRead.of(rule)


@router.post("/{key}/enable", summary="Switch a rule on", responses={**_ERRORS, **_NOT_FOUND})
def enable_rule(key: str, session: SessionDep, runtime: RuntimeDep, _key: AdminKey) -> RuleRead:
    rule = rules.set_enabled(session=session, key=key, enabled=True, now=runtime.clock.now())
    return RuleRead.of(rule)


@router.post("/{key}/disable", summary="Switch a rule off", responses={**_ERRORS, **_NOT_FOUND})
def disable_rule(key: str, session: SessionDep, runtime: RuntimeDep, _key: AdminKey) -> RuleRead:
    """Switched off, a rule fires no more; its pending invitations still go out."""
    rule = rules.set_enabled(session=session, key=key, enabled=False, now=runtime.clock.now())
    return RuleRead.of(rule)


@router.get(
    "/{key}/versions",
    summary="A rule's versions, oldest first",
    responses={**_ERRORS, **_NOT_FOUND},
)
def rule_versions(key: str, session: ReadSessionDep, _key: AdminKey) -> list[RuleVersionRead]:
    rule = rules.get_or_404(session=session, key=key)
    return [
        RuleVersionRead.model_validate(version)
        for version in rules.versions(session=session, rule_id=rule.id)
    ]
