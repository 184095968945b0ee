from channels.db import database_sync_to_async

from accounts.models import Character, User


@database_sync_to_async
def username_taken(username: str) -> bool:
    return User.objects.filter(username=username).exists()


@database_sync_to_async
def character_name_taken(name: str) -> bool:
    return Character.objects.filter(name=name).exists()


@database_sync_to_async
def character_of_user(user_id: int) -> Character | None:
    return Character.objects.filter(user_id=user_id, user__is_active=True).select_related("user").first()


@database_sync_to_async
def username_of_user(user_id: int) -> str:
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() or ""
