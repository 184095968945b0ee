"""The title screen, sign-up, sign-in and account deletion (GAME.md §2)."""

from django.contrib.auth.hashers import check_password
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import hooks
from accounts.character_state import character_state_drop
from accounts.passwords import ServerBusy, password_hash, run_hashing
from accounts.selectors import character_name_taken, username_of_user, username_taken
from accounts.services import (
    NameTaken,
    account_create,
    account_delete,
    user_authenticate,
    user_password_check,
    user_password_set,
)
from accounts.throttles import (
    password_attempt_reserve,
    password_attempt_succeeded,
    password_attempt_unmade,
    signup_attempt_reserve,
)
from accounts.validation import character_name_normalise, name_reserved, password_valid, username_normalise
from mudserver.markup import cyan, escape, green, menu_line, red, rule, yellow
from mudserver.router import SCENES, Command, Context, Reply, Scene, goto, register, register_global
from mudserver.scene_store import scene_forget
from mudserver.text import text_clean

# --- front (title screen, and the menu once signed in)


async def front_enter(ctx: Context) -> str:
    if ctx.signed_in:
        fight = await hooks.fight_scene.get()(ctx.character_id)
        fighting = [yellow(_("Your fight goes on: [D]ungeon to watch it."))] if fight else []
        return "\n".join(
            [
                rule(),
                _("%(name)s, where to?") % {"name": escape(ctx.name)},
                *fighting,
                menu_line("[D]ungeon", _("the dungeons"), 9),
                menu_line("[V]illage", _("the village"), 9),
                menu_line("[OUT]", _("sign out"), 9),
                menu_line("[DELETE]", _("delete your account"), 9),
                rule(),
            ]
        )
    return "\n".join(
        [
            rule(),
            cyan(_("GREAT-GREAT! It's super effective!")),
            rule(),
            _("Welcome, traveller. A village, five dungeons and an arena wait for you."),
            menu_line("[IN]", _("sign in")),
            menu_line("[UP]", _("sign up")),
            _("Type [H]elp for help at any time."),
        ]
    )


def _needs_signin(handler):
    async def guarded(ctx: Context, args: str) -> Reply:
        if not ctx.signed_in:
            return Reply(red(_("Sign in first: [IN] to sign in, [UP] to sign up.")))
        return await handler(ctx, args)

    return guarded


def _needs_signout(handler):
    async def guarded(ctx: Context, args: str) -> Reply:
        if ctx.signed_in:
            return Reply(red(_("You are already signed in as %(name)s. [OUT] signs out.") % {"name": escape(ctx.name)}))
        return await handler(ctx, args)

    return guarded


front_signin = _needs_signout(goto("signin_username"))


front_signup = _needs_signout(goto("signup_username"))


@_needs_signin
async def front_dungeon(ctx: Context, args: str) -> Reply:
    return Reply(goto=await hooks.fight_scene.get()(ctx.character_id) or "dungeon")


front_village = _needs_signin(goto("village"))


@_needs_signin
async def front_signout(ctx: Context, args: str) -> Reply:
    await ctx.connection.sign_out()
    return Reply(green(_("You have signed out. See you soon.")), goto="front", status=True)


front_delete = _needs_signin(goto("delete_confirm"))


# --- sign up: username -> password -> character name


async def signup_username_enter(ctx: Context) -> str:
    return "\n".join(
        [
            rule(),
            yellow(_("Sign up")),
            _("Choose a username: a letter first, then letters or digits, 4 to 16 characters."),
            _("(Type 'g home' to go back to the title.)"),
        ]
    )


def _reserved_reply(line: str) -> Reply:
    text = _(
        "'%(name)s' is reserved: names of staff, of the game and its NPCs, command words, and names that "
        "look like them can't be used. Choose another."
    )
    return Reply(red(text % {"name": escape(text_clean(line))}))


async def signup_username_given(ctx: Context, line: str) -> Reply:
    username = username_normalise(line)
    if username is None:
        if name_reserved(line):  # the normaliser refuses these too: say why
            return _reserved_reply(line)
        text = _("'%(name)s' is not a valid username: a letter first, then letters or digits, 4 to 16 characters.")
        return Reply(red(text % {"name": escape(text_clean(line))}))
    if await username_taken(username):
        return Reply(red(_("The username '%(name)s' is taken; choose another.") % {"name": username}))
    return Reply(goto="signup_password", carry={"username": username})


async def signup_password_enter(ctx: Context) -> str:
    return _(
        "Choose a password: 6 to 64 characters with at least one letter and one digit. "
        "(Press Enter on an empty line to cancel.)"
    )


async def signup_password_given(ctx: Context, line: str) -> Reply:
    if not line:
        return Reply(yellow(_("Sign-up cancelled.")), goto="front")
    if not password_valid(line):
        return Reply(red(_("That password does not fit: 6 to 64 characters with at least one letter and one digit.")))
    wait = await signup_attempt_reserve(address=ctx.ip)
    if wait:
        return Reply(red(_too_many_attempts(wait)), goto="front")
    hashed = await password_hash(line)
    return Reply(goto="character_name", carry={**ctx.data, "password_hash": hashed})


async def character_name_enter(ctx: Context) -> str:
    return "\n".join(
        [
            _("Name your character:"),
            _("  English: a lowercase letter first, then lowercase letters or digits, 4 to 16 characters;"),
            _("  Korean: a Hangul syllable first, then Hangul or digits, 2 to 9 characters."),
            _("(Type 'g home' to go back to the title.)"),
        ]
    )


async def character_name_given(ctx: Context, line: str) -> Reply:
    name = character_name_normalise(line)
    if name is None:
        if name_reserved(line):  # the normaliser refuses these too: say why
            return _reserved_reply(line)
        text = _("'%(name)s' can't be a character name; see the rules above (English and Korean can't be mixed).")
        return Reply(red(text % {"name": escape(text_clean(line))}))
    if await character_name_taken(name):
        return Reply(red(_("The character name '%(name)s' is taken; choose another.") % {"name": name}))
    try:
        character = await account_create(
            username=ctx.data["username"], password_hash=ctx.data["password_hash"], character_name=name
        )
    except NameTaken as taken:
        if taken.field == "username":
            return Reply(red(_("Someone took that username a moment ago; choose another.")), goto="signup_username")
        return Reply(red(_("The character name '%(name)s' is taken; choose another.") % {"name": name}))
    await ctx.connection.sign_in(character.user)
    return Reply(
        green(_("Character %(name)s is born! Welcome to the village of GREAT-GREAT.") % {"name": name}),
        goto="front",
        status=True,
    )


# --- sign in: username -> password


async def signin_username_enter(ctx: Context) -> str:
    return "\n".join([rule(), yellow(_("Sign in")), _("Username:")])


async def signin_username_given(ctx: Context, line: str) -> Reply:
    if not line:
        return Reply(red(_("Type your username, or g home to go back.")))
    return Reply(goto="signin_password", carry={"username": line.lower()[:64]})


async def signin_password_enter(ctx: Context) -> str:
    return _("Password: (press Enter on an empty line to cancel)")


def _too_many_attempts(wait: int) -> str:
    return _("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": wait}


async def _password_judged(check, *args, username: str, address: str):
    """Run a reserved password check; one the server is too busy to run is not counted."""
    try:
        return await run_hashing(check, *args)
    except ServerBusy:
        await password_attempt_unmade(username=username, address=address)
        raise


async def signin_password_given(ctx: Context, line: str) -> Reply:
    if not line:
        return Reply(yellow(_("Sign-in cancelled.")), goto="front")
    username = ctx.data["username"]
    wait = await password_attempt_reserve(username=username, address=ctx.ip)
    if wait:
        return Reply(
            red(_("Too many failed sign-ins. Try again in %(seconds)d seconds.") % {"seconds": wait}), goto="front"
        )
    user = await _password_judged(user_authenticate, username, line, username=username, address=ctx.ip)
    if user is None:
        return Reply(red(_("Wrong username or password.")), goto="signin_username")
    await password_attempt_succeeded(username=username, address=ctx.ip)
    arrival = await ctx.connection.sign_in(user)
    if arrival is None:
        return Reply(red(_("This account has no character; please sign up again.")), goto="front")
    welcome = green(_("Signed in. Welcome back, %(name)s!") % {"name": escape(ctx.name)})
    return Reply(
        "\n".join(t for t in (welcome, arrival.text) if t),
        goto=arrival.scene or arrival.landing or "front",
        status=True,
    )


# --- delete the account, after the password again


async def delete_confirm_enter(ctx: Context) -> str:
    return "\n".join(
        [
            red(_("Delete your account and your character %(name)s for good?") % {"name": escape(ctx.name)}),
            _("Type your password to confirm, or press Enter on an empty line to keep everything."),
        ]
    )


async def delete_confirm_given(ctx: Context, line: str) -> Reply:
    if not line:
        return Reply(green(_("Nothing was deleted.")), goto="front")
    username = await username_of_user(ctx.user_id)
    wait = await password_attempt_reserve(username=username, address=ctx.ip)
    if wait:
        return Reply(red(_too_many_attempts(wait) + " " + _("Nothing was deleted.")), goto="front")
    if not await _password_judged(user_password_check, ctx.user_id, line, username=username, address=ctx.ip):
        return Reply(red(_("Wrong password; nothing was deleted.")), goto="front")
    await password_attempt_succeeded(username=username, address=ctx.ip)
    user_id, character_id, name = ctx.user_id, ctx.character_id, ctx.name
    await ctx.connection.sign_out()
    await account_delete(user_id=user_id)
    # Signing out left a running battle going on offline and a fighter in its match: both end here.
    for hook in hooks.deletion_hooks:
        await hook(character_id, name)
    await character_state_drop(character_id)
    await scene_forget(character_id)
    return Reply(yellow(_("Your account and character are deleted. Farewell, traveller.")), goto="front", status=True)


# --- change the password: the current one, then the new one twice (issue 17). A wrong current
# password counts as a failed sign-in, a new one hashed as a sign-up (accounts.throttles); the new
# one is carried to its confirmation only hashed.


async def global_password(ctx: Context, args: str) -> Reply:
    if not ctx.signed_in:
        return Reply(red(_("Sign in first: [IN] to sign in, [UP] to sign up.")))
    return Reply(goto="password_current", carry={"back": ctx.scene, "back_data": ctx.data})


def _password_back(ctx: Context, text: str) -> Reply:
    """Back to where the player typed `password`."""
    back = ctx.data.get("back")
    return Reply(text, goto=back if back in SCENES else "front", carry=ctx.data.get("back_data"))


def _password_cancelled(ctx: Context) -> Reply:
    return _password_back(ctx, yellow(_("Password change cancelled; your password is unchanged.")))


async def password_current_enter(ctx: Context) -> str:
    return "\n".join(
        [
            rule(),
            yellow(_("Change your password")),
            _("Your current password: (press Enter on an empty line to cancel)"),
        ]
    )


async def password_current_given(ctx: Context, line: str) -> Reply:
    if not line:
        return _password_cancelled(ctx)
    username = await username_of_user(ctx.user_id)
    wait = await password_attempt_reserve(username=username, address=ctx.ip)
    if wait:
        return _password_back(ctx, red(_too_many_attempts(wait) + " " + _("Your password is unchanged.")))
    if not await _password_judged(user_password_check, ctx.user_id, line, username=username, address=ctx.ip):
        return _password_back(ctx, red(_("Wrong password; your password is unchanged.")))
    await password_attempt_succeeded(username=username, address=ctx.ip)
    return Reply(goto="password_new", carry=ctx.data)


async def password_new_enter(ctx: Context) -> str:
    return _(
        "New password: 6 to 64 characters with at least one letter and one digit. "
        "(Press Enter on an empty line to cancel.)"
    )


async def password_new_given(ctx: Context, line: str) -> Reply:
    if not line:
        return _password_cancelled(ctx)
    if not password_valid(line):
        return Reply(red(_("That password does not fit: 6 to 64 characters with at least one letter and one digit.")))
    wait = await signup_attempt_reserve(address=ctx.ip)  # hashing a new password, as a sign-up does
    if wait:
        return _password_back(ctx, red(_too_many_attempts(wait) + " " + _("Your password is unchanged.")))
    if await run_hashing(user_password_check, ctx.user_id, line):
        return Reply(red(_("That is your current password; choose a new one.")))
    return Reply(goto="password_again", carry={**ctx.data, "hash": await password_hash(line)})


async def password_again_enter(ctx: Context) -> str:
    return _("Type the new password again: (press Enter on an empty line to cancel)")


async def password_again_given(ctx: Context, line: str) -> Reply:
    if not line:
        return _password_cancelled(ctx)
    hashed = ctx.data.get("hash", "")
    if not await run_hashing(check_password, line, hashed):
        carry = {key: value for key, value in ctx.data.items() if key != "hash"}
        return Reply(red(_("The two passwords differ; your password is unchanged.")), goto="password_new", carry=carry)
    user = await user_password_set(user_id=ctx.user_id, password_hash=hashed)
    await ctx.connection.session_keep(user)
    done = _("Your password is changed. Wherever else this account was signed in, it is signed out.")
    return _password_back(ctx, green(done))


def scenes_register() -> None:
    """Register the title, account and main-menu scenes and the account's global commands with the router."""
    register(
        Scene(
            name="front",
            enter=front_enter,
            signed_in=False,
            commands=[
                Command(("in", "i", "로그인"), front_signin, gettext_lazy("sign in")),
                Command(("up", "u", "가입", "회원가입"), front_signup, gettext_lazy("sign up")),
                Command(("dungeon", "d", "던전"), front_dungeon, gettext_lazy("go to the dungeons")),
                Command(("village", "v", "마을"), front_village, gettext_lazy("go to the village")),
                Command(("out", "o", "로그아웃"), front_signout, gettext_lazy("sign out")),
                Command(("delete", "탈퇴"), front_delete, gettext_lazy("delete your account (asks for your password)")),
            ],
        )
    )
    register(
        Scene(name="signup_username", enter=signup_username_enter, fallback=signup_username_given, signed_in=False)
    )
    register(
        Scene(
            name="signup_password",
            enter=signup_password_enter,
            fallback=signup_password_given,
            input="password",
            globals=False,
            signed_in=False,
        )
    )
    register(Scene(name="character_name", enter=character_name_enter, fallback=character_name_given, signed_in=False))
    register(
        Scene(name="signin_username", enter=signin_username_enter, fallback=signin_username_given, signed_in=False)
    )
    register(
        Scene(
            name="signin_password",
            enter=signin_password_enter,
            fallback=signin_password_given,
            input="password",
            globals=False,
            signed_in=False,
        )
    )
    register(
        Scene(
            name="delete_confirm",
            enter=delete_confirm_enter,
            fallback=delete_confirm_given,
            input="password",
            globals=False,
        )
    )
    register(
        Scene(
            name="password_current",
            enter=password_current_enter,
            fallback=password_current_given,
            input="password",
            globals=False,
        )
    )
    register(
        Scene(
            name="password_new", enter=password_new_enter, fallback=password_new_given, input="password", globals=False
        )
    )
    register(
        Scene(
            name="password_again",
            enter=password_again_enter,
            fallback=password_again_given,
            input="password",
            globals=False,
        )
    )
    register_global(
        Command(
            ("password", "비밀번호"), global_password, gettext_lazy("change your password (asks for the current one)")
        )
    )
