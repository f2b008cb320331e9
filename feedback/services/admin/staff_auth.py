"""Staff console accounts: passwords, login brakes and sessions with idle and absolute lifetimes.

Passwords are hashed with argon2id and re-hashed on login when the parameters
change, so raising the cost later needs no migration. New passwords must pass the
class rule and zxcvbn (Dropbox's estimator with its lists of leaked passwords,
names and keyboard patterns): ``Password1`` or ``P@ssw0rd`` are refused. Session
tokens are random and only their SHA-256 is stored: a leaked table opens no session.
A session ends after ``STAFF_IDLE_MINUTES`` without use and, however busy, after
``STAFF_SESSION_MAX_HOURS``.

Wrong passwords and unknown usernames answer 401 ``invalid_credentials`` alike and
cost the same argon2 work. Repeated failures are braked per (username, client) (401
``account_locked``), per username and per client (429) in ``staff_throttle``, the same
way whether the username exists or not; a disabled account answers
``account_disabled`` only to someone who knows its password.

Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, joinedload

from feedback.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from feedback.extensions import db
from feedback.models import Department, ObservationPoint, StaffSession, StaffUser
from feedback.models.base import utcnow
from feedback.services.admin import staff_throttle
from feedback.services.paging import paginate
from feedback.workflow import STAFF_ROLES

# Sliding the idle deadline at most once a minute spares a write on every request.
TOUCH_INTERVAL = timedelta(seconds=60)
# Set on the database session when authenticate() wrote something the caller must commit.
TOUCHED_FLAG = "staff_session_touched"

ROLE_LABELS = {
    "admin": "系统管理员",
    "triage": "组织部研判人员",
    "handler": "职能部门办理人员",
    "liaison": "观测点联络员",
    "viewer": "只读查看人员",
}
PASSWORD_RULE = "密码至少 8 位，且须包含大写字母、小写字母、数字、符号中的至少三类"
COMMON_PASSWORD = (
    "密码过于常见或容易猜到（如 Password1、P@ssw0rd、12345678aA 这类），"
    "请换一个更长、不常见的密码，例如用几个不相关的词加数字和符号组成"
)
# zxcvbn score (0–4) a new password must reach: 3 means "safely unguessable" against online attack.
MIN_PASSWORD_SCORE = 3
# Words every guesser of this system would try first.
_SITE_WORDS = ("tanjianfu", "jianfu", "jianfudan", "zuzhibu", "zzb", "woaini", "henan", "admin", "staff")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{2,63}$")


@dataclass(frozen=True)
class IssuedStaffToken:
    token: str
    expires_in: int
    role: str


# ---------------------------------------------------------------- passwords


def _hasher() -> PasswordHasher:
    """Parameters come from settings so they can be raised; old hashes upgrade at next login."""
    cfg = current_app.config
    return _hasher_for(cfg["STAFF_ARGON2_TIME_COST"], cfg["STAFF_ARGON2_MEMORY_KIB"], cfg["STAFF_ARGON2_PARALLELISM"])


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against for unknown usernames, so they cost as much as known ones."""
    return hasher.hash(secrets.token_urlsafe(16))


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, username: str | None = None, display_name: str = "") -> None:
    """Raise ValidationFailed unless the password has ≥ 8 characters of 3 classes and is not guessable."""
    classes = (
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    if len(password) < 8 or sum(classes) < 3:
        raise ValidationFailed(PASSWORD_RULE, errors={"password": [PASSWORD_RULE]})
    if len(password) > 256:
        raise ValidationFailed("密码不能超过 256 个字符", errors={"password": ["密码不能超过 256 个字符"]})
    if username and username.lower() in password.lower():
        message = "密码不能包含用户名"
        raise ValidationFailed(message, errors={"password": [message]})
    if _score(password, [username or "", display_name or "", *_SITE_WORDS]) < MIN_PASSWORD_SCORE:
        raise ValidationFailed(COMMON_PASSWORD, errors={"password": [COMMON_PASSWORD]})


def _score(password: str, user_inputs: list[str]) -> int:
    from zxcvbn import zxcvbn

    return int(zxcvbn(password, user_inputs=[w for w in user_inputs if w])["score"])


# ---------------------------------------------------------------- accounts


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def find_user(username: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == normalise_username(username)))


def get_user(username: str) -> StaffUser:
    user = find_user(username)
    if user is None:
        raise NotFound(f"用户 {normalise_username(username)} 不存在", code="user_not_found")
    return user


def get_user_by_id(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("未找到该账号", code="user_not_found")
    return user


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


def _binding(
    role: str, department_code: str | None, point_code: str | None
) -> tuple[Department | None, ObservationPoint | None]:
    """A handler acts for one department, a liaison for one point; nobody else is bound."""
    if role == "handler" and point_code:
        raise _invalid("point", "职能部门办理人员不能绑定观测点")
    if role == "liaison" and department_code:
        raise _invalid("department", "观测点联络员不能绑定部门")
    if role not in ("handler", "liaison") and (department_code or point_code):
        raise _invalid(
            "department" if department_code else "point",
            f"{ROLE_LABELS[role]}不绑定部门或观测点，请不要填写部门或观测点",
        )
    department = point = None
    if role == "handler":
        if not department_code:
            raise _invalid("department", "职能部门办理人员必须绑定一个部门")
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None or not department.active:
            raise _invalid("department", f"部门 {department_code} 不存在或已停用")
    if role == "liaison":
        if not point_code:
            raise _invalid("point", "观测点联络员必须绑定一个观测点")
        point = db.session.scalar(select(ObservationPoint).where(ObservationPoint.code == point_code))
        if point is None or not point.active:
            raise _invalid("point", f"观测点 {point_code} 不存在或已停用")
    return department, point


def check_new_user(
    username: str, role: str, department_code: str | None = None, point_code: str | None = None, display_name: str = ""
) -> tuple[Department | None, ObservationPoint | None]:
    """Every rule but the password's, so the CLI can refuse before asking for a password."""
    username = normalise_username(username)
    if not _USERNAME.match(username):
        raise _invalid("username", "用户名须为 3–64 位小写字母、数字或 _ . @ -，并以字母或数字开头")
    if role not in STAFF_ROLES:
        raise _invalid("role", f"角色无效，应为 {'、'.join(STAFF_ROLES)} 之一")
    if len(display_name or "") > 64:
        raise _invalid("display_name", "显示名称不超过 64 个字")
    department, point = _binding(role, department_code or None, point_code or None)
    if find_user(username) is not None:
        raise Conflict(f"用户名 {username} 已存在", code="username_taken")
    return department, point


def create_user(
    username: str,
    password: str,
    role: str,
    department_code: str | None = None,
    point_code: str | None = None,
    display_name: str = "",
) -> StaffUser:
    """Create an account; every rule is checked before anything is written."""
    department, point = check_new_user(username, role, department_code, point_code, display_name)
    username = normalise_username(username)
    check_password_policy(password, username, display_name)
    user = StaffUser(
        username=username,
        display_name=display_name or "",
        role=role,
        password_hash=_hasher().hash(password),
        department=department,
        point=point,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _revoke_all(user: StaffUser) -> None:
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked.is_(False))
        .values(revoked=True)
    )


def disable_user(username: str, by: StaffUser | None = None) -> StaffUser:
    """Disabling also ends every open session at once, not at the next idle timeout.

    ``by`` is the admin doing it from the console, who may not disable their own account (and be
    left with no way back in)."""
    user = get_user(username)
    if by is not None and by.id == user.id:
        raise Conflict("不能停用自己正在使用的账号", code="cannot_disable_self")
    user.active = False
    _revoke_all(user)
    db.session.flush()
    return user


def enable_user(username: str) -> StaffUser:
    user = get_user(username)
    user.active = True
    db.session.flush()
    return user


def lock_epoch(user: StaffUser) -> str:
    """What the login failure counters are keyed with: a new password or an unlock starts them afresh."""
    unlocked = user.unlocked_at.isoformat() if user.unlocked_at else ""
    return f"{user.password_hash}\0{unlocked}"


def unlock_user(username: str) -> StaffUser:
    """Lift every login brake on the account (all clients) after a lockout; the password stays the same."""
    user = get_user(username)
    user.unlocked_at = utcnow()
    db.session.flush()
    return user


# Letters and digits that cannot be misread when copied from a screen or a note (no 0/O, 1/l/I).
_READABLE_LOWER = "abcdefghijkmnpqrstuvwxyz"
_READABLE_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_READABLE_DIGITS = "23456789"


def generate_password() -> str:
    """A random password that passes the policy, in four groups of four (e.g. ``Kq7m-Xr4p-Tz9w-Hb3c``)."""
    alphabet = _READABLE_LOWER + _READABLE_UPPER + _READABLE_DIGITS
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
        password = "-".join(groups)
        if any(c in _READABLE_UPPER for c in password) and any(c in _READABLE_DIGITS for c in password):
            try:
                check_password_policy(password)
            except ValidationFailed:
                continue
            return password


def reset_password(username: str, password: str) -> StaffUser:
    """A new password lifts every login brake on the username and ends sessions opened with the old one."""
    user = get_user(username)
    check_password_policy(password, user.username, user.display_name)
    user.password_hash = _hasher().hash(password)
    _revoke_all(user)
    db.session.flush()
    return user


def change_own_password(user: StaffUser, current_password: str, new_password: str, keep_token: str) -> None:
    """The user proves the current password (braked like a login), then every other session ends."""
    hasher = _hasher()
    attempt = staff_throttle.attempt_for(user.username, lock_epoch(user))
    staff_throttle.check(attempt)
    if not _verify(hasher, user.password_hash, current_password):
        locked = staff_throttle.failed(attempt)
        message = "当前密码不正确"
        raise locked or ValidationFailed(message, errors={"current_password": [message]})
    if new_password == current_password:
        message = "新密码不能与当前密码相同"
        raise ValidationFailed(message, errors={"new_password": [message]})
    try:
        check_password_policy(new_password, user.username, user.display_name)
    except ValidationFailed as exc:
        reasons = (exc.errors or {}).get("password", [exc.message])
        raise ValidationFailed(exc.message, errors={"new_password": reasons}) from None
    user.password_hash = hasher.hash(new_password)
    db.session.execute(
        update(StaffSession)
        .where(
            StaffSession.user_id == user.id,
            StaffSession.revoked.is_(False),
            StaffSession.token_hash != _token_hash(keep_token),
        )
        .values(revoked=True)
    )
    db.session.flush()


def list_users() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))


def list_users_page(role: str | None, active: bool | None, page: int, per_page: int) -> tuple[list[StaffUser], int]:
    """One page of accounts by role then username, optionally of one role and/or only (in)active ones."""
    query = select(StaffUser).order_by(StaffUser.role, StaffUser.username)
    if role:
        query = query.where(StaffUser.role == role)
    if active is not None:
        query = query.where(StaffUser.active.is_(active))
    return paginate(query, page, per_page, scalars=True)


# ---------------------------------------------------------------- login and sessions


def idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])


def max_session_age() -> timedelta:
    """However active, a session ends this long after login (a stolen token does not live for ever)."""
    return timedelta(hours=current_app.config["STAFF_SESSION_MAX_HOURS"])


def _expiry(created_at: datetime, now: datetime) -> datetime:
    return min(now + idle_timeout(), created_at + max_session_age())


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _bad_credentials() -> Unauthorized:
    return Unauthorized("用户名或密码错误", code="invalid_credentials")


def login(username: str, password: str) -> IssuedStaffToken:
    """Check the password and open a session; raise Unauthorized or RateLimited.

    The brakes are consulted before any password check and answer the same for every
    username, existing or not; then one argon2 verification runs whatever the username.
    """
    now = utcnow()
    hasher = _hasher()
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == normalise_username(username)))
    attempt = staff_throttle.attempt_for(normalise_username(username), lock_epoch(user) if user else None)
    staff_throttle.check(attempt)
    if not _verify(hasher, user.password_hash if user else _dummy_hash(hasher), password) or user is None:
        raise staff_throttle.failed(attempt) or _bad_credentials()
    staff_throttle.succeeded(attempt)
    if not user.active:
        raise Unauthorized("账号已停用，请联系管理员", code="account_disabled")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = now
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(
            token_hash=_token_hash(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            expires_at=_expiry(now, now),
            revoked=False,
        )
    )
    db.session.flush()
    return IssuedStaffToken(token=token, expires_in=int(idle_timeout().total_seconds()), role=user.role)


def authenticate(token: str) -> StaffUser:
    """Return the session's user and slide its idle deadline.

    When the deadline moved, ``db.session.info[TOUCHED_FLAG]`` is set: the caller
    commits it even on read-only requests, or the slide would be rolled back.
    """
    now = utcnow()
    # The user comes in the same query: every staff request reads it (its role), a lazy load was a second one.
    session = db.session.scalar(
        select(StaffSession).options(joinedload(StaffSession.user)).where(StaffSession.token_hash == _token_hash(token))
    )
    if session is None or session.revoked or not session.user.active:
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token")
    if now >= session.created_at + max_session_age():
        hours = max_session_age().total_seconds() / 3600
        raise Unauthorized(f"登录已满 {hours:g} 小时，为安全起见请重新登录", code="session_too_old")
    if session.expires_at <= now:
        raise Unauthorized("长时间未操作，登录已过期，请重新登录", code="token_expired")
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        session.last_seen_at, session.expires_at = now, _expiry(session.created_at, now)
        db.session.flush()
        db.session.info[TOUCHED_FLAG] = True
        # Whoever commits this request's transaction commits the slide too: then nothing is left to do.
        event.listen(db.session(), "after_commit", _slide_committed, once=True)
    return session.user


def _slide_committed(session: Session) -> None:
    session.info.pop(TOUCHED_FLAG, None)


def slide_left_uncommitted() -> bool:
    """True (once) when this request's authenticate() slid the idle deadline and nothing committed it since:
    the request was a read, and its after_request must commit the slide (one commit a request)."""
    return bool(db.session.info.pop(TOUCHED_FLAG, False))


def logout(token: str) -> None:
    db.session.execute(update(StaffSession).where(StaffSession.token_hash == _token_hash(token)).values(revoked=True))
    db.session.flush()
