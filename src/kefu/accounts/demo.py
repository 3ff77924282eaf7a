"""The accounts' part of the demo data set: one login per role, with the demo password (a step
of core.generation's demo loader)."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core import generation

# username → (display name, is_staff, is_superuser); the username is the role's code.
STAFF: dict[str, tuple[str, bool, bool]] = {
    Role.AGENT: ("客服专员", False, False),
    Role.SUPERVISOR: ("客服主管", True, False),
    Role.TECHNICIAN: ("维修师傅", False, False),
    Role.SALES: ("销售代表", False, False),
    Role.CENTRE: ("服务中心前台", False, False),
    Role.MANAGER: ("服务总监", True, False),
    Role.ADMIN: ("系统管理员", True, True),
}


def ensure_staff() -> list[tuple[str, str, str]]:
    """One login per role, named by the role's code, with the demo password (reset each run)."""
    password = settings.KEFU_DEMO_PASSWORD
    hashed = make_password(password)  # one hash for all: the demo password is public anyway
    logins = []
    for role, (display_name, is_staff, is_superuser) in STAFF.items():
        user, _created = User.objects.get_or_create(username=role)
        user.display_name = display_name
        user.is_staff = is_staff
        user.is_superuser = is_superuser
        user.is_active = True
        user.password = hashed
        user.save()
        user.groups.add(Group.objects.get(name=role))
        logins.append((role, password, str(Role(role).label)))
    return logins


def _load_step(counts, seed: int | None) -> list[str]:
    """The logins, as a table to print (the role last: Chinese is two columns wide)."""
    rows = [("username", "password", "role"), *ensure_staff()]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = ["Demo logins:"]
    for index, (username, password, role) in enumerate(rows):
        lines.append(f"  {username.ljust(widths[0])}  {password.ljust(widths[1])}  {role}")
        if index == 0:
            lines.append(f"  {'-' * widths[0]}  {'-' * widths[1]}  ----")
    return lines


DEMO_STEP = generation.DemoStep(name="accounts", options=(), load=_load_step)
