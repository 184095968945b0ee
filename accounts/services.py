from channels.db import database_sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from accounts.models import Character, User


class NameTaken(Exception):
    def __init__(self, field: str):
        super().__init__(field)
        self.field = field  # "username" or "name"


@database_sync_to_async
def account_create(*, username: str, password_hash: str, character_name: str) -> Character:
    """Create the user and the character together: there is never an account without one."""
    try:
        with transaction.atomic():
            user = User.objects.create(username=username, password=password_hash)
            return Character.objects.create(user=user, name=character_name)
    except IntegrityError as error:
        field = "username" if User.objects.filter(username=username).exists() else "name"
        raise NameTaken(field) from error


def user_authenticate(username: str, password: str) -> User | None:
    """Blocking (a password hash): call through accounts.passwords.run_hashing. The game's sign-in
    asks the model backend itself: it has its own limits (accounts.throttles), and django-axes, first
    among the settings' backends, is for the admin's login only."""
    return ModelBackend().authenticate(None, username=username, password=password)


def user_password_check(user_id: int, password: str) -> bool:
    """Blocking (a password hash): call through accounts.passwords.run_hashing."""
    user = User.objects.filter(pk=user_id).first()
    return user is not None and user.check_password(password)


@database_sync_to_async
def account_delete(*, user_id: int) -> None:
    User.objects.filter(pk=user_id).delete()


GAME_MASTER_GROUP, MODERATOR_GROUP = "Game master", "Moderator"  # made by migration accounts 0011_gm_groups


@transaction.atomic
def staff_role_grant(*, username: str, moderator: bool = False) -> User:
    """Make the user staff with exactly one role, "Game master" or "Moderator" (LookupError: no such user)."""
    user = User.objects.filter(username=username.lower()).first()
    if user is None:
        raise LookupError(username)
    role, other = (MODERATOR_GROUP, GAME_MASTER_GROUP) if moderator else (GAME_MASTER_GROUP, MODERATOR_GROUP)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.remove(*Group.objects.filter(name=other))
    user.groups.add(Group.objects.get(name=role))
    return user


@database_sync_to_async
def user_password_set(*, user_id: int, password_hash: str) -> User:
    """Store a new password, hashed already. The sessions stored under the old one no longer resume:
    each holds an auth hash made from the password, checked on connecting (channels.auth.get_user)."""
    user = User.objects.get(pk=user_id)
    user.password = password_hash
    user.save(update_fields=["password"])
    return user
