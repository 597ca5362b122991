"""Department directory, dispatch, case life cycle, deadlines and ratings."""

from router.directory import Directory, DirectoryError, Region, Unit
from router.dispatch import Catalogue, CatalogueError, Decision, Router, RoutingHistory, Rule
from router.kinds import DepartmentKind, department_kinds

__all__ = [
    "Catalogue",
    "CatalogueError",
    "Decision",
    "DepartmentKind",
    "Directory",
    "DirectoryError",
    "Region",
    "Router",
    "RoutingHistory",
    "Rule",
    "Unit",
    "department_kinds",
]
