"""Console login through OpenID Connect: a municipality's own identity provider (Entra ID).

authlib does the protocol (discovery, state, nonce, the code exchange and the ID
token's signature). What monitorbot adds is the mapping from the token's group
claim to roles per gemeente (`console_oidc.groepen` in monitorbot.yaml): roles
come from the identity provider at every login and replace what the account had,
so a colleague who leaves a group loses the role at the next login. Such an account
has no password here; a local account of the same name is never taken over, and
a beheerder can still switch an OIDC account off in monitorbot.
"""

from __future__ import annotations

import warnings
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from monitorbot.config.models import OidcSettings
from monitorbot.core.states import Rol

#: MONITORBOT_OIDC_CLIENT_SECRET: the client secret registered at the identity provider.
SECRET_ENV = "MONITORBOT_OIDC_CLIENT_SECRET"

__all__ = ["SECRET_ENV", "LoginFailed", "OidcLogin", "grants_of"]


class LoginFailed(Exception):
    """The provider's answer does not hold: a wrong state, a bad token, another subject."""


class OidcLogin:
    """One configured identity provider. authlib is imported here, not with the console:
    a deployment without a provider never loads it (nor prints its start-up warning)."""

    def __init__(self, settings: OidcSettings, client_secret: str):
        with warnings.catch_warnings():
            # authlib announces its own move to another HTTP client: nothing to act on here
            warnings.filterwarnings("ignore", message="The httpx module is deprecated")
            from authlib.integrations.starlette_client import OAuth, OAuthError

        self._error = OAuthError
        self.settings = settings
        oauth = OAuth()
        oauth.register(
            "idp",
            client_id=settings.client_id,
            client_secret=client_secret,
            server_metadata_url=(f"{settings.issuer.rstrip('/')}/.well-known/openid-configuration"),
            client_kwargs={"scope": "openid profile email"},
        )
        self._client: Any = oauth.create_client("idp")

    @property
    def naam(self) -> str:
        return self.settings.naam

    async def redirect(self, request: Request, callback: str) -> Response:
        """To the provider's login page; state and nonce are kept in the session."""
        return await self._client.authorize_redirect(request, callback)

    async def claims(self, request: Request) -> dict[str, Any]:
        """The checked claims after the provider sent the user back (LoginFailed if not).

        The ID token's claims, completed from the userinfo endpoint when the group
        claim is not in the token (providers put large group lists there).
        """
        try:
            token = await self._client.authorize_access_token(request)
        except self._error as problem:
            raise LoginFailed(str(problem)) from None
        claims = dict(token.get("userinfo") or {})  # the ID token's, signature checked
        group = self.settings.groepen_claim
        if group not in claims:
            extra = dict(await self._client.userinfo(token=token))
            if extra.get("sub") != claims.get("sub"):
                raise LoginFailed("userinfo hoort bij een ander subject")
            if group in extra:
                claims[group] = extra[group]  # only the groups: the rest stays the token's
        return claims

    def subject(self, claims: dict[str, Any]) -> str:
        """The account's stable key: issuer and subject (a display name can change)."""
        return f"{self.settings.issuer.rstrip('/')}|{claims.get('sub', '')}"

    def account_name(self, claims: dict[str, Any]) -> str:
        return str(claims.get(self.settings.account_claim) or claims.get("sub") or "").strip()


def grants_of(settings: OidcSettings, claims: dict[str, Any]) -> set[tuple[Rol, str]]:
    """(role, gemeente) pairs the user's groups give; a group not in the mapping gives none."""
    groups = claims.get(settings.groepen_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    return {
        (Rol(grant.rol), grant.gemeente)
        for group in groups
        for grant in settings.groepen.get(str(group), [])
    }
