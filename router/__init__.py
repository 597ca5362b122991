"""Department directory, dispatch, case life cycle, deadlines and ratings."""

from router.kinds import DepartmentKind, department_kinds

__all__ = ["DepartmentKind", "department_kinds"]
