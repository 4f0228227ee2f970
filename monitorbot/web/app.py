"""The console's pages: FastAPI with Jinja2 templates (autoescape), server-rendered, no script.

Every page reads a stored snapshot (the one the evaluation made and the messages
were built from) and never computes a figure; the one live fact it adds is who
acknowledged an alert since. Access: a session cookie (signed, HttpOnly,
SameSite=Lax) names the user, whose roles are read again on every request; a
gemeente the roles do not name is a 404, whatever the URL; every form carries a
CSRF token bound to the session; every response carries a Content-Security-Policy
without inline script and the usual hardening headers.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from monitorbot.config import ConfigError, load_config
from monitorbot.config.edit import Edit, EditRefused, add_correction, end_correction, locked
from monitorbot.core.calendar import Peildatum, Soort, month_name, shift_months
from monitorbot.core.clock import aware, local, shown
from monitorbot.core.money import MoneyError, euros_to_cents, format_euros
from monitorbot.core.privacy import looks_like_bsn
from monitorbot.core.states import AlertStatus, Ernst, Rol
from monitorbot.evaluate.catalogue import BY_NAME, format_value
from monitorbot.evaluate.outcome import CHANGED, CURRENT
from monitorbot.evaluate.regio_snapshot import RegioSnapshot
from monitorbot.evaluate.rule_edit import RuleContext, change_rule, changed_rule
from monitorbot.evaluate.rule_edit import target_file as rule_edit_target
from monitorbot.evaluate.rules import Placed
from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.report import budget_table, chart, html_report, regio_table, texts, workbook
from monitorbot.store import db
from monitorbot.store.queries import accounts as account_rows
from monitorbot.store.queries import alerts as stored
from monitorbot.store.queries import silences, snapshots
from monitorbot.store.sync import file_history, record_file_changes
from monitorbot.web import rules_view
from monitorbot.web.accounts import (
    AccountError,
    LoginBrake,
    User,
    create,
    end_sessions,
    set_active,
    set_role,
    sync_external,
    user_of,
    verify,
)
from monitorbot.web.oidc import LoginFailed, OidcLogin, grants_of
from monitorbot.web.trials import TrialJob, TrialJobs, TrialState

HERE = Path(__file__).parent
CHART_CACHE = 256  # drawn charts kept in memory (about 40 kB each)
SESSION_HOURS = 8
RESOLVED_MONTHS = 3  # resolved alerts shown on Signaleringen
BROKEN_FILES = (
    "De configuratie of de regelbestanden bevatten nu een fout; `monitorbot config check` "
    "zegt welke. Tot die hersteld is, toont en wijzigt de console geen regels."
)
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """No (valid) session: the page sends the user to the login form."""


class Refused(Exception):
    """A request the user may not make: 403 (a missing right, a bad CSRF token) or 404."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status, self.text = status, text


@dataclass(frozen=True)
class Console:
    """What the pages need: the database, the deployment's time zone and a clock."""

    engine: Engine
    tijdzone: str
    gemeente_namen: dict[str, str]
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    config_dir: Path | None = None  # where corrections are written; None: read-only
    alerts_dir: Path | None = None  # the rule files; None: no Regels pages
    trials: TrialJobs | None = None  # replays rule changes; None: rules are read-only
    oidc: OidcLogin | None = None  # login through the municipality's identity provider
    regios: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """Per region (its file name) its display name and members."""


def create_console(
    console: Console,
    *,
    secret: str,
    secure_cookies: bool = False,
    brake: LoginBrake | None = None,
) -> FastAPI:
    """The console app. `secret` signs the session cookie (MONITORBOT_WEB_SECRET)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if console.trials is not None:
            await run_in_threadpool(console.trials.shutdown)

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="monitorbot_sessie",
        max_age=SESSION_HOURS * 3600,
        # Lax, not Strict: the identity provider sends the user back with a cross-site
        # navigation, which must carry the session holding the login's state and nonce.
        # Cross-site POSTs still carry no cookie, and every form has a CSRF token.
        same_site="lax",
        https_only=secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    guard = brake or LoginBrake()

    headers = _headers(console.oidc)

    @app.middleware("http")
    async def harden(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)  # a route may allow caching
        return response

    def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("user", None)
        values.setdefault("oidc", console.oidc.naam if console.oidc else None)
        values.setdefault("regels_menu", console.alerts_dir is not None)
        html = templates.get_template(name).render(
            csrf=_csrf_token(request), path=request.url.path, **values
        )
        return HTMLResponse(html, status_code=status)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?volgende={quote(request.url.path)}", status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        titel = {
            404: "Niet gevonden",
            400: "Niet verwerkt",
            409: "Niet verwerkt",
            429: "Even geduld",
            503: "Niet beschikbaar",
        }.get(exc.status, "Geweigerd")
        return page(request, "geweigerd.html", exc.status, tekst=exc.text, titel=titel)

    @app.exception_handler(404)
    async def not_found(request: Request, _exc: Exception) -> Response:
        return page(
            request, "geweigerd.html", 404, tekst="Deze pagina bestaat niet.", titel="Niet gevonden"
        )

    def user(request: Request) -> User:
        naam = request.session.get("gebruiker")
        if not naam:
            raise LoginRequired
        with db.transaction(console.engine) as session:
            found = user_of(session, naam)
        if found is None or request.session.get("versie") != found.sessie_versie:
            request.session.clear()  # switched off, or logged out elsewhere
            raise LoginRequired
        return found

    def gemeente_of(request: Request, code: str, nodig: Rol = Rol.LEZER) -> User:
        found = user(request)
        if code not in found.rollen:
            raise Refused(404, "Deze pagina bestaat niet.")  # another gemeente: as if absent
        if not found.mag(code, nodig):
            raise Refused(403, f"Hiervoor is de rol {nodig.value} nodig in deze gemeente.")
        return found

    def snapshot_of(code: str, momentopname: int | None) -> tuple[Snapshot | None, list[Any]]:
        with db.transaction(console.engine) as session:
            stored_list = snapshots.stored_snapshots(session, code)
            latest = stored_list[0].id if stored_list else None
            chosen = momentopname if momentopname is not None else latest
            text = snapshots.snapshot_json(session, code, chosen) if chosen else None
        if chosen is not None and text is None:
            raise Refused(404, "Deze momentopname bestaat niet.")
        return (Snapshot.from_json(text) if text else None), stored_list

    def gemeente_page(
        request: Request, template: str, found: User, code: str, onderwerp: str, **values: Any
    ) -> HTMLResponse:
        """A page of one gemeente: its menu, its name in the title, a message once."""
        naam = console.gemeente_namen.get(code, code)
        return page(
            request,
            template,
            user=found,
            code=code,
            naam=naam,
            titel=f"{onderwerp} {naam}",
            melding=request.session.pop("melding", None),
            beheerder=found.mag(code, Rol.BEHEERDER),
            **values,
        )

    def choices(stored_list: list[Any]) -> list[tuple[int, str, str]]:
        """The stored snapshots to choose from: (id, peildatum, when computed)."""
        return [
            (
                s.id,
                Peildatum(s.peildatum, Soort(s.soort)).label,
                shown(s.berekend_op, console.tijdzone, time=True),
            )
            for s in stored_list
        ]

    # ------------------------------------------------------------------- login

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, volgende: str = "/") -> HTMLResponse:
        return page(request, "login.html", volgende=_local_path(volgende), fout=None)

    @app.post("/login")
    def login(
        request: Request,
        naam: str = Form(""),
        wachtwoord: str = Form(""),
        csrf: str = Form(""),
        volgende: str = Form("/"),
    ) -> Response:
        _check_csrf(request, csrf)
        client = f"adres:{request.client.host if request.client else '-'}"
        keys = (f"naam:{naam.strip().lower()}", client)
        if not guard.begin(*keys):
            return page(
                request,
                "login.html",
                429,
                volgende=_local_path(volgende),
                fout="Te veel mislukte pogingen. Probeer het over enkele minuten opnieuw.",
            )
        with db.transaction(console.engine) as session:
            found = verify(session, naam.strip(), wachtwoord)
        if found is None:
            return page(
                request,
                "login.html",
                401,
                volgende=_local_path(volgende),
                fout="Onbekende combinatie van account en wachtwoord.",
            )
        guard.succeeded(*keys)
        request.session.clear()  # a new session at login: no fixation
        request.session["gebruiker"] = found.naam
        request.session["versie"] = found.sessie_versie
        return RedirectResponse(_local_path(volgende), status_code=303)

    @app.post("/login/oidc")
    async def login_oidc(request: Request) -> Response:
        """To the identity provider (a form, so the CSRF token guards it like every other)."""
        form = await request.form()
        _check_csrf(request, str(form.get("csrf", "")))
        if console.oidc is None:
            raise Refused(404, "Inloggen via een identiteitsprovider is niet ingesteld.")
        request.session["oidc_volgende"] = _local_path(str(form.get("volgende", "/")))
        return await console.oidc.redirect(request, str(request.url_for("oidc_callback")))

    @app.get("/login/oidc/terug", name="oidc_callback")
    async def oidc_callback(request: Request) -> Response:
        if console.oidc is None:
            raise Refused(404, "Inloggen via een identiteitsprovider is niet ingesteld.")
        volgende = request.session.get("oidc_volgende", "/")
        try:
            claims = await console.oidc.claims(request)
        except LoginFailed:
            return page(
                request,
                "login.html",
                401,
                volgende=volgende,
                fout=f"Inloggen via {console.oidc.naam} is niet gelukt. Probeer het opnieuw.",
            )
        grants = grants_of(console.oidc.settings, claims)
        if not grants:
            return page(
                request,
                "login.html",
                403,
                volgende=volgende,
                fout="Uw account heeft geen rol in monitorbot: vraag de beheerder om een groep.",
            )
        naam = console.oidc.account_name(claims)
        subject = console.oidc.subject(claims)

        def sync() -> User | None:
            with db.transaction(console.engine) as session:
                return sync_external(session, subject, naam, grants, console.now())

        try:
            found = await run_in_threadpool(sync)
        except AccountError as refusal:
            return page(request, "login.html", 403, volgende=volgende, fout=str(refusal) + ".")
        if found is None:
            return page(
                request, "login.html", 403, volgende=volgende, fout="Dit account is uitgeschakeld."
            )
        request.session.clear()  # a new session at login: no fixation
        request.session["gebruiker"] = found.naam
        request.session["versie"] = found.sessie_versie
        return RedirectResponse(volgende, status_code=303)

    @app.post("/uitloggen")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        _check_csrf(request, csrf)
        naam = request.session.get("gebruiker")
        if naam:
            with db.transaction(console.engine) as session:
                end_sessions(session, naam)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ------------------------------------------------------------------- pages

    def regions_of(found: User) -> list[tuple[str, str]]:
        """The regions whose pages this user may read: (file name, display name)."""
        return [
            (naam, shown_name)
            for naam, (shown_name, leden) in sorted(console.regios.items())
            if found.ziet_regio(naam, leden)
        ]

    def regio_of(request: Request, naam: str) -> tuple[User, str]:
        found = user(request)
        entry = console.regios.get(naam)
        if entry is None or not found.ziet_regio(naam, entry[1]):
            raise Refused(404, "Deze pagina bestaat niet.")  # as if absent, like a gemeente
        return found, entry[0]

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        found = user(request)
        regions = regions_of(found)
        if len(found.gemeenten) == 1 and not regions:
            return RedirectResponse(f"/gemeente/{found.gemeenten[0]}", status_code=303)
        return page(
            request,
            "start.html",
            user=found,
            titel="Gemeenten",
            gemeenten=[(code, console.gemeente_namen.get(code, code)) for code in found.gemeenten],
            regios=regions,
        )

    @app.get("/regio/{naam}", response_class=HTMLResponse)
    def region(request: Request, naam: str, momentopname: int | None = None) -> HTMLResponse:
        """The regional table from the region's stored snapshot: each member's line and the
        region's, exactly as `monitorbot regio tabel` shows them."""
        found, shown_name = regio_of(request, naam)
        with db.transaction(console.engine) as session:
            stored_list = snapshots.stored_regio_snapshots(session, naam)
            chosen = (
                momentopname
                if momentopname is not None
                else (stored_list[0].id if stored_list else None)
            )
            text = snapshots.regio_snapshot_json(session, naam, chosen) if chosen else None
        if chosen is not None and text is None:
            raise Refused(404, "Deze momentopname bestaat niet.")
        values: dict[str, Any] = {"snapshot": None, "keuzes": choices(stored_list)}
        if text is not None:
            snapshot = RegioSnapshot.from_json(text)
            values.update(
                snapshot=snapshot,
                kop=regio_table.title(snapshot),
                header=regio_table.header(snapshot),
                blokken=regio_table.blocks(snapshot),
                noten=regio_table.footnotes(snapshot),
                vergelijking_kop=regio_table.benchmark_title(snapshot),
                vergelijking_header=regio_table.benchmark_header(snapshot),
                vergelijking=regio_table.benchmark_rows(snapshot),
                vergelijking_noten=regio_table.benchmark_notes(),
                gekozen=chosen,
                berekend=shown(snapshot.berekend_op, snapshot.tijdzone, time=True),
            )
        return page(
            request,
            "regio.html",
            user=found,
            regio=naam,
            regio_naam=shown_name,
            titel=f"Regio {shown_name}",
            **values,
        )

    @app.get("/gemeente/{code}", response_class=HTMLResponse)
    def overview(request: Request, code: str, momentopname: int | None = None) -> HTMLResponse:
        found = gemeente_of(request, code)
        snapshot, stored_list = snapshot_of(code, momentopname)
        values: dict[str, Any] = {"snapshot": snapshot, "keuzes": choices(stored_list)}
        if snapshot is not None:
            report = snapshot.begroting
            header, rows = budget_table.council_rows(report)
            header = [*header[:3], "80%-interval prognose", *header[3:]]
            intervals = budget_table.council_intervals(report)
            rows = [[*r[:3], band, *r[3:]] for r, band in zip(rows, intervals, strict=True)]
            values.update(
                kop=budget_table.title(report),
                header=header,
                rijen=rows,
                totaalrijen={
                    i for i, r in enumerate(rows) if r[0].startswith(("Subtotaal", "Totaal"))
                },
                noten=budget_table.footnotes(report),
                grafieken=[(m.perceel, m.naam) for m in snapshot.maanden],
                gekozen=momentopname or (stored_list[0].id if stored_list else None),
                berekend=shown(snapshot.berekend_op, snapshot.tijdzone, time=True),
            )
        return gemeente_page(request, "overzicht.html", found, code, "Overzicht", **values)

    charts: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()
    charts_lock = threading.Lock()  # pages are served from a thread pool

    @app.get("/gemeente/{code}/grafiek/{snapshot_id}/{perceel}.png")
    def chart_png(request: Request, code: str, snapshot_id: int, perceel: str) -> Response:
        """A stored snapshot never changes, so neither does its chart: drawn once, then
        served from memory and cached by the browser."""
        gemeente_of(request, code)
        key = (code, snapshot_id, perceel)
        with charts_lock:
            png = charts.get(key)
        if png is None:
            snapshot, _ = snapshot_of(code, snapshot_id)
            path = snapshot.months_of(perceel) if snapshot else None
            if snapshot is None or path is None:
                raise Refused(404, "Deze grafiek bestaat niet.")
            row = snapshot.budget_row(perceel)
            png = chart.trend_chart(path, row.begroting_cents if row else None)
        with charts_lock:
            charts[key] = png
            charts.move_to_end(key)
            while len(charts) > CHART_CACHE:
                charts.popitem(last=False)
        return Response(
            png,
            media_type="image/png",
            headers={"Cache-Control": "private, max-age=300"},  # not for days on a shared PC
        )

    @app.get("/gemeente/{code}/signaleringen", response_class=HTMLResponse)
    def alerts(request: Request, code: str, momentopname: int | None = None) -> HTMLResponse:
        found = gemeente_of(request, code)
        snapshot, _ = snapshot_of(code, momentopname)
        with db.transaction(console.engine) as session:
            acks = stored.alert_acknowledgements(session, code)
            history = (
                stored.evaluation_history(session, code, snapshot.berekend_op) if snapshot else {}
            )
        lines = []
        resolved = []
        for alert in snapshot.signaleringen if snapshot else ():
            if alert.status == AlertStatus.RESOLVED:
                if snapshot and _resolved_lately(alert.opgelost_op, snapshot.berekend_op):
                    resolved.append(
                        {
                            "op": alert.opgelost_op,
                            "id": alert.id,
                            "titel": alert.titel,
                            "regel": alert.regel,
                            "sinds": shown(alert.sinds, console.tijdzone) if alert.sinds else "",
                            "opgelost": shown(alert.opgelost_op, console.tijdzone),
                        }
                    )
                continue
            # who acknowledged it since the evaluation; else as the snapshot has it
            door, op, notitie = acks.get(
                alert.id or -1, (alert.bevestigd_door, alert.bevestigd_op, None)
            )
            lines.append(
                {
                    "id": alert.id,
                    "titel": alert.titel,
                    "status": AlertStatus.label_of(alert.status),
                    "actief": alert.status in (AlertStatus.FIRING, AlertStatus.PENDING),
                    "ernst": Ernst.label_of(alert.ernst) if alert.ernst else "",
                    "sinds": shown(alert.sinds, console.tijdzone) if alert.sinds else "",
                    "zin": texts.highlight(alert),
                    "verloop": [
                        f"{month_name(peilmaand)}: {format_value(alert.metric, waarde)}"
                        + (f" (drempel {format_value(alert.metric, drempel)})" if drempel else "")
                        for peilmaand, waarde, drempel in history.get(alert.id or -1, [])
                    ],
                    "bevestigd": (
                        f"{door}, {shown(op, console.tijdzone, time=True)}"
                        + (f": {notitie}" if notitie else "")
                        if op
                        else None
                    ),
                }
            )
        return gemeente_page(
            request,
            "signaleringen.html",
            found,
            code,
            "Signaleringen",
            snapshot=snapshot,
            regels=lines,
            opgelost=sorted(resolved, key=lambda r: r["op"], reverse=True),
            maanden_opgelost=RESOLVED_MONTHS,
            mag_bevestigen=found.mag(code, Rol.KERNTEAM),
        )

    @app.post("/gemeente/{code}/signaleringen/{alert_id}/bevestigen")
    def acknowledge(
        request: Request,
        code: str,
        alert_id: int,
        csrf: str = Form(""),
        notitie: str = Form("besproken in kernteam"),
    ) -> Response:
        _check_csrf(request, csrf)
        found = gemeente_of(request, code, Rol.KERNTEAM)
        notitie = notitie.strip()[:500] or "besproken in kernteam"
        if looks_like_bsn(notitie):
            raise Refused(
                400, "De notitie bevat een nummer dat een BSN kan zijn; laat cliëntgegevens weg."
            )
        with db.transaction(console.engine) as session:
            refused = stored.acknowledge(
                session, code, alert_id, found.naam, notitie, console.now()
            )
        if refused:
            raise Refused(409, refused)
        request.session["melding"] = f"Signalering #{alert_id} bevestigd: {notitie}"
        return RedirectResponse(f"/gemeente/{code}/signaleringen", status_code=303)

    # ------------------------------------------------------------------- silences

    @app.get("/gemeente/{code}/stiltes", response_class=HTMLResponse)
    def silence_page(request: Request, code: str) -> HTMLResponse:
        found = gemeente_of(request, code)
        now = console.now()
        with db.transaction(console.engine) as session:
            rows = silences.listed(session, code)
            lines = [
                {
                    "id": row.id,
                    "over": ", ".join(f"{k} = {v}" for k, v in row.matchers.items()),
                    "door": row.door,
                    "reden": row.reden,
                    "tot": shown(row.tot, console.tijdzone, time=True),
                    "staat": _silence_state(row.vanaf, row.tot, row.beeindigd_op, now),
                }
                for row in rows
            ]
        return gemeente_page(
            request,
            "stiltes.html",
            found,
            code,
            "Stiltes",
            regels=lines,
            mag_wijzigen=found.mag(code, Rol.CONTROLLER),
        )

    @app.post("/gemeente/{code}/stiltes")
    def add_silence(
        request: Request,
        code: str,
        csrf: str = Form(""),
        regel: str = Form(""),
        perceel: str = Form(""),
        aanbieder: str = Form(""),
        dagen: int = Form(14),
        reden: str = Form(""),
    ) -> Response:
        _check_csrf(request, csrf)
        found = gemeente_of(request, code, Rol.CONTROLLER)
        matchers = {
            key: value.strip()
            for key, value in (("regel", regel), ("perceel", perceel), ("aanbieder", aanbieder))
            if value.strip()
        }
        reden = reden.strip()
        problem = _silence_problem(matchers, dagen, reden)
        if problem:
            raise Refused(400, problem)
        now = console.now()
        with db.transaction(console.engine) as session:
            number = silences.add(
                session, code, matchers, found.naam, reden, now, now + timedelta(days=dagen)
            )
        request.session["melding"] = f"Stilte #{number} ingesteld voor {dagen} dagen."
        return RedirectResponse(f"/gemeente/{code}/stiltes", status_code=303)

    @app.post("/gemeente/{code}/stiltes/{silence_id}/beeindigen")
    def end_silence(request: Request, code: str, silence_id: int, csrf: str = Form("")) -> Response:
        _check_csrf(request, csrf)
        found = gemeente_of(request, code, Rol.CONTROLLER)
        with db.transaction(console.engine) as session:
            refused = silences.end(session, code, silence_id, console.now(), found.naam)
        if refused:
            raise Refused(409, refused)
        request.session["melding"] = f"Stilte #{silence_id} beëindigd."
        return RedirectResponse(f"/gemeente/{code}/stiltes", status_code=303)

    # ------------------------------------------------------------------- data quality, reports

    @app.get("/gemeente/{code}/datakwaliteit", response_class=HTMLResponse)
    def quality_page(request: Request, code: str, momentopname: int | None = None) -> HTMLResponse:
        found = gemeente_of(request, code)
        snapshot, _ = snapshot_of(code, momentopname)
        return gemeente_page(
            request,
            "datakwaliteit.html",
            found,
            code,
            "Datakwaliteit",
            snapshot=snapshot,
            tijd=lambda moment: shown(moment, console.tijdzone, time=True),
            euro=lambda cents: f"€ {format_euros(cents)}",
        )

    @app.get("/gemeente/{code}/rapporten", response_class=HTMLResponse)
    def reports_page(request: Request, code: str, momentopname: int | None = None) -> HTMLResponse:
        found = gemeente_of(request, code)
        _, stored_list = snapshot_of(code, momentopname)
        return gemeente_page(
            request, "rapporten.html", found, code, "Rapporten", keuzes=choices(stored_list)
        )

    @app.get("/gemeente/{code}/rapporten/{snapshot_id}/{bestand}")
    def report_file(request: Request, code: str, snapshot_id: int, bestand: str) -> Response:
        gemeente_of(request, code)
        snapshot, _ = snapshot_of(code, snapshot_id)
        if snapshot is None or bestand not in REPORT_FILES:
            raise Refused(404, "Dit rapport bestaat niet.")
        media, make = REPORT_FILES[bestand]
        name = f"{snapshot.stem}.{bestand.rpartition('.')[2]}"
        return Response(
            make(snapshot),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # ------------------------------------------------------------------- corrections

    def recorded_edit(root: Path, path: Path, door: str, change: Callable[[], Edit]) -> Edit:
        """A console change of a config or rule file, recorded with its author.

        One writer at a time (a lock beside the file). The file as found is recorded
        first (a no-op when it is known), so a hand edit since the last load shows up
        as such and the console's diff is its own; a file the change creates has no
        earlier version to record.
        """

        def record(by: str | None) -> None:
            if path.is_file():
                with db.transaction(console.engine) as session:
                    record_file_changes(session, root, _checksum(path), now=console.now(), door=by)

        with locked(path):
            record(None)
            try:
                edit = change()
            except EditRefused as refusal:
                raise Refused(400, str(refusal)) from None
            record(door)
        return edit

    def corrections_year(code: str) -> int:
        snapshot, _ = snapshot_of(code, None)
        return snapshot.jaar if snapshot else local(console.now(), console.tijdzone).year

    @app.get("/gemeente/{code}/correcties", response_class=HTMLResponse)
    def corrections_page(request: Request, code: str) -> HTMLResponse:
        found = gemeente_of(request, code)
        jaar = corrections_year(code)
        values: dict[str, Any] = {
            "jaar": jaar,
            "mag_wijzigen": found.mag(code, Rol.CONTROLLER) and console.config_dir is not None,
        }
        if console.config_dir is not None:
            config = load_config(console.config_dir)
            begroting = config.begroting(code, jaar)
            values["percelen"] = [(p.id, p.naam) for p in config.percelen.percelen]
            values["correcties"] = [
                {
                    "perceel": config.percelen.get(c.perceel).naam,
                    "id": c.perceel,
                    "prognose": f"€ {format_euros(c.prognose)}",
                    "reden": c.reden,
                    "door": c.door,
                    "datum": f"{c.datum:%d-%m-%Y}",
                    "tot": f"{c.tot:%d-%m-%Y}" if c.tot else "",
                }
                for c in (begroting.prognose_correcties if begroting else [])
            ]
            values["begroting"] = begroting is not None
            with db.transaction(console.engine) as session:
                values["geschiedenis"] = [
                    (shown(when, console.tijdzone, time=True), door or "met de hand", diff or "")
                    for when, door, diff in file_history(session, f"begroting/{code}-{jaar}.yaml")
                ]
        return gemeente_page(request, "correcties.html", found, code, "Correcties", **values)

    def write_correction(
        request: Request, code: str, jaar: int, change: Callable[[Path, str, date], Edit]
    ) -> Response:
        """Apply a change to the year's begroting file, recorded with its author."""
        found = gemeente_of(request, code, Rol.CONTROLLER)
        if console.config_dir is None:
            raise Refused(403, "Deze console schrijft geen configuratie.")
        path = console.config_dir / "begroting" / f"{code}-{jaar}.yaml"
        if not path.is_file():
            raise Refused(400, f"Er is geen begroting {jaar} voor deze gemeente.")
        today = local(console.now(), console.tijdzone).date()
        recorded_edit(
            console.config_dir,
            path,
            found.naam,
            lambda: change(console.config_dir, found.naam, today),
        )
        return RedirectResponse(f"/gemeente/{code}/correcties", status_code=303)

    @app.post("/gemeente/{code}/correcties")
    def add_correction_form(
        request: Request,
        code: str,
        csrf: str = Form(""),
        perceel: str = Form(""),
        prognose: str = Form(""),
        reden: str = Form(""),
        jaar: int = Form(0),
    ) -> Response:
        _check_csrf(request, csrf)
        gemeente_of(request, code, Rol.CONTROLLER)  # before any work: another gemeente is a 404
        reden = reden.strip()
        if not 3 <= len(reden) <= 500 or looks_like_bsn(reden):
            raise Refused(400, "Geef een reden (3 tot 500 tekens, zonder cliëntgegevens).")
        try:
            cents = euros_to_cents(prognose.strip())
        except MoneyError as problem:
            raise Refused(400, f"Prognose: {problem}") from None

        def change(config_dir: Path, door: str, today: date) -> Edit:
            return add_correction(
                config_dir,
                code,
                jaar,
                perceel=perceel,
                prognose_cents=cents,
                reden=reden,
                door=door,
                datum=today,
            )

        response = write_correction(request, code, jaar, change)
        request.session["melding"] = (
            f"Correctie op {perceel} vastgelegd in begroting/{code}-{jaar}.yaml; "
            "ze telt mee vanaf de volgende evaluatie."
        )
        return response

    @app.post("/gemeente/{code}/correcties/beeindigen")
    def end_correction_form(
        request: Request,
        code: str,
        csrf: str = Form(""),
        perceel: str = Form(""),
        jaar: int = Form(0),
    ) -> Response:
        _check_csrf(request, csrf)
        gemeente_of(request, code, Rol.CONTROLLER)

        def change(config_dir: Path, _door: str, today: date) -> Edit:
            return end_correction(config_dir, code, jaar, perceel=perceel, tot=today)

        response = write_correction(request, code, jaar, change)
        request.session["melding"] = f"Correctie op {perceel} beëindigd (laatste dag vandaag)."
        return response

    # ------------------------------------------------------------------- accounts

    @app.get("/gemeente/{code}/accounts", response_class=HTMLResponse)
    def accounts_page(request: Request, code: str) -> HTMLResponse:
        found = gemeente_of(request, code, Rol.BEHEERDER)
        with db.transaction(console.engine) as session:
            listed = []
            for row in account_rows.holding_roles_in(session, code):
                roles = account_rows.roles(session, row.id)
                here = max(
                    (Rol(rol) for rol, gemeente in roles if gemeente == code),
                    key=lambda r: r.rang,
                )
                listed.append(
                    {
                        "naam": row.naam,
                        "rol": here.value,
                        "bron": "wachtwoord" if row.wachtwoord_hash else "identiteitsprovider",
                        "actief": row.actief,
                        "mag_schakelen": row.naam != found.naam and _wholly_managed(found, roles),
                        "eigen": row.naam == found.naam,
                        "extern": row.wachtwoord_hash is None,
                    }
                )
            history = [
                (shown(c.op, console.tijdzone, time=True), c.gebruiker, c.wat, c.door)
                for c in account_rows.changes(session, code, [a["naam"] for a in listed])
            ]
        return gemeente_page(
            request,
            "accounts.html",
            found,
            code,
            "Accounts",
            accounts=listed,
            rollen=[r.value for r in Rol],
            geschiedenis=history,
        )

    def account_change(request: Request, code: str, change: Callable[[Any, User], str]) -> Response:
        """One account change by a beheerder of `code`, in one transaction, with its author."""
        found = gemeente_of(request, code, Rol.BEHEERDER)
        try:
            with db.transaction(console.engine) as session:
                done = change(session, found)
        except AccountError as refusal:
            raise Refused(400, str(refusal)) from None
        request.session["melding"] = done
        return RedirectResponse(f"/gemeente/{code}/accounts", status_code=303)

    @app.post("/gemeente/{code}/accounts")
    def add_account(
        request: Request,
        code: str,
        csrf: str = Form(""),
        naam: str = Form(""),
        rol: str = Form("lezer"),
        wachtwoord: str = Form(""),
    ) -> Response:
        """A new local account with a role here, or a role here for an account this beheerder
        already manages. An account that is not wholly theirs (roles elsewhere, or none) is
        not theirs to hand out: account names are shared by every gemeente."""
        _check_csrf(request, csrf)
        role = _role_of(rol)
        naam = naam.strip()

        def change(session: Any, found: User) -> str:
            now = console.now()
            existing = account_rows.account(session, naam)
            if existing is None:
                if not wachtwoord:
                    raise AccountError("geef een nieuw account een (tijdelijk) wachtwoord")
                create(session, naam, wachtwoord, now, door=found.naam)
                set_role(session, naam, role, code, grant=True, door=found.naam, now=now)
                return f"Account {naam} aangemaakt: {role.value} in deze gemeente."
            roles = account_rows.roles(session, existing.id)
            if existing.wachtwoord_hash is None or not _wholly_managed(found, roles):
                raise AccountError(
                    f"er bestaat al een account {naam} dat niet (alleen) onder uw gemeenten "
                    "valt; kies een andere naam of vraag de beheerder van monitorbot"
                )
            if wachtwoord:
                raise AccountError(
                    f"{naam} bestaat al: laat het wachtwoord leeg om alleen een rol te geven"
                )
            set_role(session, naam, role, code, grant=True, door=found.naam, now=now)
            return f"{naam}: {role.value} in deze gemeente."

        return account_change(request, code, change)

    @app.post("/gemeente/{code}/accounts/rol")
    def change_account_role(
        request: Request, code: str, csrf: str = Form(""), naam: str = Form(""), rol: str = Form("")
    ) -> Response:
        """The account's role here becomes `rol` ('geen': no role here any more)."""
        _check_csrf(request, csrf)
        role = None if rol == "geen" else _role_of(rol)

        def change(session: Any, found: User) -> str:
            if naam == found.naam:
                raise AccountError("uw eigen rol wijzigt een andere beheerder")
            existing = account_rows.account(session, naam)
            roles = account_rows.roles(session, existing.id) if existing else []
            if existing is None or not any(g == code for _, g in roles):
                raise AccountError(f"{naam} heeft geen rol in deze gemeente")
            if existing.wachtwoord_hash is None:
                raise AccountError(
                    f"de rollen van {naam} komen van de identiteitsprovider (zijn groepen)"
                )
            now = console.now()
            for held, gemeente in roles:
                if gemeente == code and (role is None or held != role.value):
                    set_role(session, naam, Rol(held), code, grant=False, door=found.naam, now=now)
            if role is not None:
                set_role(session, naam, role, code, grant=True, door=found.naam, now=now)
            return f"{naam}: {role.value if role else 'geen rol meer'} in deze gemeente."

        return account_change(request, code, change)

    @app.post("/gemeente/{code}/accounts/actief")
    def switch_account(
        request: Request, code: str, csrf: str = Form(""), naam: str = Form(""), aan: str = Form("")
    ) -> Response:
        """Switch an account off (its sessions end) or on: only for a beheerder of every
        gemeente it has a role in, and never oneself."""
        _check_csrf(request, csrf)

        def change(session: Any, found: User) -> str:
            existing = account_rows.account(session, naam)
            roles = account_rows.roles(session, existing.id) if existing else []
            if existing is None or not any(g == code for _, g in roles):
                raise AccountError(f"{naam} heeft geen rol in deze gemeente")
            if naam == found.naam:
                raise AccountError("uw eigen account schakelt een andere beheerder uit")
            if not _wholly_managed(found, roles):
                raise AccountError(
                    f"{naam} heeft ook rollen in gemeenten waar u geen beheerder bent"
                )
            if aan not in ("0", "1"):
                raise AccountError("kies inschakelen of uitschakelen")
            on = aan == "1"
            set_active(session, naam, on, door=found.naam, now=console.now())
            return f"{naam} {'ingeschakeld' if on else 'uitgeschakeld'}."

        return account_change(request, code, change)

    # ------------------------------------------------------------------- rules

    def rule_setup() -> tuple[Path, RuleContext]:
        if console.alerts_dir is None or console.config_dir is None:
            raise Refused(404, "Deze console toont geen regels.")
        try:
            return console.alerts_dir, RuleContext.of(load_config(console.config_dir))
        except ConfigError:
            raise Refused(503, BROKEN_FILES) from None

    def effective_rules(code: str) -> tuple[Placed, ...]:
        alerts_dir, context = rule_setup()
        try:
            return context.load(alerts_dir).effective(code)
        except ConfigError:
            raise Refused(503, BROKEN_FILES) from None

    def placed_rule(code: str, naam: str) -> Placed:
        for entry in effective_rules(code):
            if entry.rule.naam == naam:
                return entry
        raise Refused(404, "Deze regel bestaat niet.")

    def may_change_rules(found: User, code: str) -> bool:
        return console.trials is not None and found.mag(code, Rol.CONTROLLER)

    def may_change_shared(found: User) -> bool:
        """The shared file holds for every municipality: its beheerder's, in all of them."""
        return all(found.mag(code, Rol.BEHEERDER) for code in console.gemeente_namen)

    def rule_file_label(entry: Placed) -> str:
        return (
            f"gedeeld ({entry.bestand.name})"
            if entry.gemeenten is None
            else f"eigen ({entry.bestand.name})"
        )

    @app.get("/gemeente/{code}/regels", response_class=HTMLResponse)
    def rules_page(request: Request, code: str) -> HTMLResponse:
        found = gemeente_of(request, code)
        entries = sorted(effective_rules(code), key=lambda e: e.rule.naam)
        lines = [
            {
                "naam": e.rule.naam,
                "omschrijving": e.rule.tekst()[0],
                "woorden": rules_view.in_words(e.rule),
                "bestand": rule_file_label(e),
            }
            for e in entries
        ]
        return gemeente_page(request, "regels.html", found, code, "Regels", regels=lines)

    @app.get("/gemeente/{code}/regels/{naam}", response_class=HTMLResponse)
    def rule_page(request: Request, code: str, naam: str) -> HTMLResponse:
        found = gemeente_of(request, code)
        entry = placed_rule(code, naam)
        snapshot, _ = snapshot_of(code, None)
        last = (
            snapshot.peildatum.peilmaand
            if snapshot
            else local(console.now(), console.tijdzone).date()
        )
        van, tot = rules_view.default_months(last.replace(day=1))
        alerts_root = rule_setup()[0].resolve().parent
        with db.transaction(console.engine) as session:
            history = [
                (shown(when, console.tijdzone, time=True), door or "met de hand", diff or "")
                for when, door, diff in file_history(
                    session, entry.bestand.resolve().relative_to(alerts_root).as_posix()
                )
            ]
        trials = console.trials.of_rule(code, naam) if console.trials else []
        return gemeente_page(
            request,
            "regel.html",
            found,
            code,
            f"Regel {naam} –",
            regel=entry.rule,
            woorden=rules_view.in_words(entry.rule),
            bestand=rule_file_label(entry),
            waarden=rules_view.form_values(entry.rule),
            impact=BY_NAME[entry.rule.metric].impact,
            van=van,
            tot=tot,
            proeven=[
                (t.id, shown(t.started, console.tijdzone, time=True), t.door, t.state.value)
                for t in trials
            ],
            geschiedenis=history,
            mag_wijzigen=may_change_rules(found, code),
        )

    @app.post("/gemeente/{code}/regels/{naam}/proberen")
    def try_rule_form(
        request: Request,
        code: str,
        naam: str,
        csrf: str = Form(""),
        waarschuwing: str = Form(""),
        kritiek: str = Form(""),
        voor: str = Form("1"),
        minimale_impact: str = Form(""),
        van: str = Form(""),
        tot: str = Form(""),
    ) -> Response:
        _check_csrf(request, csrf)
        found = gemeente_of(request, code, Rol.CONTROLLER)
        if console.trials is None:
            raise Refused(403, "Deze console probeert geen regels.")
        entry = placed_rule(code, naam)
        _, context = rule_setup()
        try:
            change = rules_view.change_from_form(
                entry.rule, waarschuwing, kritiek, voor, minimale_impact
            )
            candidate = changed_rule(entry.rule, change, context)
            months = rules_view.months_from_form(van, tot)
        except EditRefused as refusal:
            raise Refused(400, str(refusal)) from None
        if console.trials.waiting_for(found.naam):
            raise Refused(429, "Uw vorige proef loopt nog; wacht tot die klaar is.")
        job = console.trials.start(
            gemeente=code,
            door=found.naam,
            change=change,
            current=entry.rule,
            changed=candidate,
            months=months,
            now=console.now(),
        )
        return RedirectResponse(f"/gemeente/{code}/regels/{naam}/proef/{job.id}", status_code=303)

    def trial_of(code: str, naam: str, job_id: str) -> TrialJob:
        job = console.trials.get(code, job_id) if console.trials else None
        if job is None or job.regel != naam:
            raise Refused(404, "Deze proef bestaat niet (meer).")
        return job

    @app.get("/gemeente/{code}/regels/{naam}/proef/{job_id}", response_class=HTMLResponse)
    def trial_page(request: Request, code: str, naam: str, job_id: str) -> HTMLResponse:
        found = gemeente_of(request, code)
        job = trial_of(code, naam, job_id)
        values: dict[str, Any] = {
            "job": job,
            "klaar": job.state == TrialState.DONE,
            "bezig": job.state in (TrialState.WAITING, TrialState.RUNNING),
            "maanden": len(job.months),
            "periode": f"{month_name(job.months[0])} t/m {month_name(job.months[-1])}",
            "huidig": rules_view.in_words(job.current),
            "voorstel": rules_view.in_words(job.changed),
            "mag_opslaan": may_change_rules(found, code),
            "mag_gedeeld": may_change_shared(found),
        }
        if job.result is not None:
            values.update(
                rijen=rules_view.trial_rows(job.result),
                doorloop=rules_view.lead_rows(job.result),
                begrotingsregel=job.result.begrotingsregel,
                totalen={
                    version: (job.result.count(version), job.result.count(version, new_only=True))
                    for version in (CURRENT, CHANGED)
                },
            )
        return gemeente_page(request, "proef.html", found, code, f"Proef {naam} –", **values)

    @app.post("/gemeente/{code}/regels/{naam}/proef/{job_id}/opslaan")
    def save_rule(
        request: Request,
        code: str,
        naam: str,
        job_id: str,
        csrf: str = Form(""),
        voor_wie: str = Form("gemeente"),
    ) -> Response:
        """Save what was tried: to this gemeente's own file, or (beheerder) the shared one."""
        _check_csrf(request, csrf)
        found = gemeente_of(request, code, Rol.CONTROLLER)
        job = trial_of(code, naam, job_id)
        if voor_wie not in ("gemeente", "iedereen"):
            raise Refused(400, "Kies voor wie de regel geldt: deze gemeente of alle gemeenten.")
        shared = voor_wie == "iedereen"
        if shared and not may_change_shared(found):
            raise Refused(403, "Het gedeelde regelbestand is van de beheerder van alle gemeenten.")
        if job.state != TrialState.DONE:
            raise Refused(409, "Sla een voorstel op als de proef klaar is.")
        alerts_dir, context = rule_setup()
        entry = placed_rule(code, naam)
        if entry.rule != job.current:
            raise Refused(
                409,
                "De regel is gewijzigd sinds deze proef begon; probeer het voorstel opnieuw op "
                "de regel zoals die nu is.",
            )
        gemeente = None if shared else code
        try:
            path = alerts_dir / rule_edit_target(entry, gemeente)
        except EditRefused as refusal:
            raise Refused(400, str(refusal)) from None
        edit = recorded_edit(
            alerts_dir.parent,
            path,
            found.naam,
            lambda: change_rule(alerts_dir, context, naam, job.change, gemeente=gemeente),
        )
        request.session["melding"] = (
            f"Regel {naam} opgeslagen in alerts/{edit.bestand}; "
            "de nieuwe drempels gelden vanaf de volgende evaluatie."
        )
        return RedirectResponse(f"/gemeente/{code}/regels/{naam}", status_code=303)

    return app


def _checksum(path: Path) -> dict[str, str]:
    """`record_file_changes`' input for one file (the loader's checksum: sha256 of the bytes)."""
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest()}


def _workbook_bytes(snapshot: Snapshot) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = workbook.write_workbook(snapshot, Path(folder) / "werkmap.xlsx")
        return path.read_bytes()


#: The downloads per snapshot: what a controller opens in Excel or a browser.
REPORT_FILES: dict[str, tuple[str, Callable[[Snapshot], bytes | str]]] = {
    "werkmap.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _workbook_bytes,
    ),
    "rapport.html": ("text/html; charset=utf-8", html_report.render_html),
    "begroting.csv": (
        "text/csv; charset=utf-8",
        lambda snapshot: budget_table.to_csv(snapshot.begroting).encode("utf-8"),
    ),
}


def _resolved_lately(opgelost_op: datetime | None, berekend_op: datetime) -> bool:
    """Resolved in the RESOLVED_MONTHS before the evaluation: what the kernteam still
    remembers discussing, not every alert since the start."""
    if opgelost_op is None:
        return False
    resolved, computed = aware(opgelost_op), aware(berekend_op)
    return shift_months(computed.date(), -RESOLVED_MONTHS) <= resolved.date() and (
        resolved <= computed
    )


def _silence_state(vanaf: datetime, tot: datetime, ended: datetime | None, now: datetime) -> str:
    if ended is not None:
        return "beëindigd"
    start, end = aware(vanaf), aware(tot)
    return "actief" if start <= now < end else ("verlopen" if now >= end else "gepland")


def _silence_problem(matchers: dict[str, str], dagen: int, reden: str) -> str | None:
    """Why a silence from the form cannot be set, in Dutch; None when it can."""
    if not matchers:
        return "Een stilte heeft minstens een regel, perceel of aanbieder."
    agb = matchers.get("aanbieder")
    if agb is not None and not (agb.isdigit() and len(agb) == 8):
        return "Een aanbieder is een AGB-code van 8 cijfers."
    if not 1 <= dagen <= 365:
        return "Een stilte duurt 1 tot 365 dagen."
    if not reden or len(reden) > 500:
        return "Geef een reden voor de stilte (hoogstens 500 tekens)."
    if any(looks_like_bsn(text) for text in (reden, *matchers.values())):
        return "De tekst bevat een nummer dat een BSN kan zijn; laat cliëntgegevens weg."
    return None


def _headers(oidc: OidcLogin | None) -> dict[str, str]:
    """The hardening headers; with an identity provider, the login form may lead there
    (CSP form-action also governs the redirect that follows a form)."""
    if oidc is None:
        return HEADERS
    parts = urlsplit(oidc.settings.issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    csp = HEADERS["Content-Security-Policy"].replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )
    return HEADERS | {"Content-Security-Policy": csp}


def _wholly_managed(beheerder: User, roles: list[tuple[str, str]]) -> bool:
    """An account whose every role lies in gemeenten this beheerder manages (and that has
    one): only such an account is theirs to switch off or to give another role."""
    return bool(roles) and all(beheerder.mag(g, Rol.BEHEERDER) for _, g in roles)


def _role_of(text: str) -> Rol:
    try:
        return Rol(text)
    except ValueError:
        raise Refused(400, f"Onbekende rol; kies uit {', '.join(r.value for r in Rol)}.") from None


def _csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf(request: Request, token: str) -> None:
    expected = request.session.get("csrf")
    if not expected or not token or not secrets.compare_digest(expected, token):
        raise Refused(
            403, "Het formulier is verlopen of niet van deze site. Laad de pagina opnieuw."
        )


def _local_path(target: str) -> str:
    """Only a path on this site to return to after login (no open redirect)."""
    safe = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if safe and "\\" not in target else "/"
