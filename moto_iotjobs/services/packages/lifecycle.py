"""The package version lifecycle, in one table: which UpdatePackageVersion `action` moves a
version from which status to which, and what may still be edited in each status
(https://docs.aws.amazon.com/iot/latest/developerguide/preparing-to-use-software-package-catalog.html#package-version-lifecycle).

DRAFT -PUBLISH-> PUBLISHED -DEPRECATE-> DEPRECATED -PUBLISH-> PUBLISHED. Publishing a
PUBLISHED version again changes nothing; any other move is a ConflictException.
"""

from __future__ import annotations

from moto_iotjobs.protocol.errors import ConflictException

DRAFT = "DRAFT"
PUBLISHED = "PUBLISHED"
DEPRECATED = "DEPRECATED"

#: (status, action) -> the status the action leads to.
VERSION_TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, "PUBLISH"): PUBLISHED,
    (PUBLISHED, "PUBLISH"): PUBLISHED,
    (PUBLISHED, "DEPRECATE"): DEPRECATED,
    (DEPRECATED, "PUBLISH"): PUBLISHED,
    (DEPRECATED, "DEPRECATE"): DEPRECATED,
}

#: UpdatePackageVersion members each status lets through: attributes and artifact freeze
#: when a version is published ("Attributes can be updated only when the package version is
#: in a draft state", UpdatePackageVersionRequest.attributes); description and recipe do not.
EDITABLE: dict[str, frozenset[str]] = {
    DRAFT: frozenset({"description", "attributes", "artifact", "recipe"}),
    PUBLISHED: frozenset({"description", "recipe"}),
    DEPRECATED: frozenset({"description", "recipe"}),
}

#: Statuses a job may deploy, and a package's default version may have.
DEPLOYABLE = frozenset({PUBLISHED, DEPRECATED})


def next_status(status: str, action: str, what: str) -> str:
    """The status `action` leads to from `status`; ConflictException when it may not."""
    target = VERSION_TRANSITIONS.get((status, action))
    if target is None:
        raise ConflictException(f"Package version {what} is {status}: action {action} is not allowed")
    return target


def check_editable(status: str, members: list[str], what: str) -> None:
    frozen = [m for m in members if m not in EDITABLE[status]]
    if frozen:
        raise ConflictException(
            f"Package version {what} is {status}: {', '.join(frozen)} can only be changed "
            f"while the version is {DRAFT}"
        )
