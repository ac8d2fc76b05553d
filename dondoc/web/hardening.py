"""What every response and request goes through, whatever the route: a bounded request body, the
security headers, and who the client is behind a reverse proxy.

Plain ASGI middleware, so a body too large is refused before anything (form parsing, the CSRF
check) reads it into memory.
"""
import ipaddress
from functools import lru_cache

from config.settings import Settings

# No script at all (the pages need none); styles only from our own stylesheet; nothing framed.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Review and sign-in links carry their secret in the path: never sent on to another site.
    (b"referrer-policy", b"no-referrer"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    def __init__(self, app, production: bool):
        self.app = app
        self.headers = SECURITY_HEADERS + ([HSTS] if production else [])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in self.headers if name not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse a request body larger than its limit with 413: at once when Content-Length says so,
    else as soon as the bytes received pass it (chunked bodies), before the app holds them. The
    limit is `limit`, or `upload_limit` for the paths in `upload_paths`, or `prefix_limit` for those
    starting with one of `upload_prefixes` (the task pages, which take evidence files)."""

    def __init__(self, app, limit: int, refuse, upload_limit: int | None = None, upload_paths=frozenset(),
                 upload_prefixes=(), prefix_limit: int | None = None):
        self.app, self.form_limit, self.refuse = app, limit, refuse
        self.upload_limit, self.upload_paths = upload_limit or limit, frozenset(upload_paths)
        self.upload_prefixes, self.prefix_limit = tuple(upload_prefixes), prefix_limit or self.upload_limit

    def limit_for(self, scope) -> int:
        path = scope.get("path") or ""
        if path in self.upload_paths:
            return self.upload_limit
        if self.upload_prefixes and path.startswith(self.upload_prefixes):
            return self.prefix_limit
        return self.form_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await self.refuse(scope, receive, send)
        received, too_large, started = 0, False, False

        async def counting_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge()
            return message

        async def watching_send(message):
            nonlocal started
            if too_large:
                return  # what the app says about the body it could not finish reading is replaced by the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await self.refuse(scope, receive, send)


@lru_cache(maxsize=32)
def _networks(setting: str) -> tuple:
    networks = []
    for part in setting.replace(";", ",").split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(networks)


def trusted_networks(settings: Settings) -> tuple:
    """DONDOC_TRUSTED_PROXIES as networks (a bad entry is an InputError naming the setting)."""
    try:
        return _networks(settings.trusted_proxies)
    except ValueError as exc:
        from config.errors import InputError
        raise InputError(f"not an IP address or network ({exc})", field="DONDOC_TRUSTED_PROXIES",
                         vi=f"không phải địa chỉ IP hay dải mạng ({exc})") from None


def _is_trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope, settings: Settings) -> str:
    """The client's address: the connection's, unless that is a trusted proxy; then the nearest
    address in X-Forwarded-For that is not itself a trusted proxy (each proxy appends the address
    it saw, so anything further left was written by the client and proves nothing)."""
    peer = scope.get("client")
    address = peer[0] if peer else "unknown"
    networks = trusted_networks(settings)
    if not networks or not _is_trusted(address, networks):
        return address
    forwarded = [value.decode("latin-1") for name, value in scope.get("headers", []) if name == b"x-forwarded-for"]
    hops = [hop.strip() for line in forwarded for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop[:100]
    return address


def server_config(app, *, host: str, port: int, **options):
    """uvicorn's configuration for our app: uvicorn's own X-Forwarded-For handling is off (by
    default it believes any connection from 127.0.0.1), the app decides (client_address)."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, proxy_headers=False, forwarded_allow_ips="", **options)
