"""A class on one server: the address students open, and what the projector shows.

Joining: `join_address` chooses the address phones open from the server's settings and this
computer's IPv4 addresses (`lan_ipv4_addresses`, which sends nothing on the network);
`qr_png` draws it as a QR code with segno, locally (no QR service is asked).

Projector: `class_summary` reads the saved drawings once and returns what the projector shows:
how many of each digit, the latest ones, what students said each drawing was against what the
model read when they saved it (a 10x10 confusion), and the drawings the model in use finds
hardest (the lowest probability for the student's digit). The projector shows each drawing as
the network sees it (its 28x28 input), never the picture as uploaded, and leaves out drawings
the teacher hid (`DrawingStore.hide`).

Plain values and numpy only; no streamlit (the Class page, `pages/5_Class.py`, draws these).
"""

from __future__ import annotations

import io
import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import segno

from mnist_core.classroom.drawings import DrawingStore, SavedDrawing

__all__ = [
    "SERVE_COMMAND",
    "ClassDrawing",
    "ClassSummary",
    "JoinAddress",
    "class_summary",
    "join_address",
    "lan_ipv4_addresses",
    "qr_png",
]

SERVE_COMMAND = "streamlit run app.py --server.address 0.0.0.0"
SUMMARY_LIMIT = 2_000  # drawings the confusion and the hardest look at: the newest this many
HARD_BELOW = 0.9  # a drawing is hard when the model gives its digit less than this
_ALL_INTERFACES = {"", "0.0.0.0", "::"}
# Virtual interfaces of containers, virtual machines and VPNs: no phone on the Wi-Fi reaches
# them, so they are never offered (the Class page would show a dead address first).
_VIRTUAL_PREFIXES = ("lo", "docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "lxc", "lxd",
                     "cni", "flannel", "cali", "tun", "tap", "wg", "tailscale", "zt", "utun")
_SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address
# TEST-NET-1 (RFC 5737): never on a local network, so the route to it is the default route.
# Connecting a UDP socket only looks the route up; no packet is sent.
_PROBE_ADDRESS = ("192.0.2.1", 9)


# -- joining ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinAddress:
    """Where students point their phones.

    Attributes:
        urls: the addresses to open, best first, e.g. ("http://192.168.1.20:8501",); empty
            when no phone can reach the server.
        local_only: the server listens only on this computer (server.address 127.0.0.1 or
            localhost), so phones cannot reach it.
        problem: one sentence saying why phones cannot join and what to do, or None.
    """

    urls: tuple[str, ...]
    local_only: bool = False
    problem: str | None = None


def join_address(*, listen_address: str | None, port: int, public_address: str | None = None,
                 public_port: int | None = None, base_path: str = "", https: bool = False,
                 lan_addresses: Sequence[str] = ()) -> JoinAddress:
    """The address students open, from the server's settings.

    Args:
        listen_address: Streamlit's `server.address` (None or "" listens on every interface).
        port: `server.port`.
        public_address: `browser.serverAddress` when set on purpose (a name or address,
            optionally with a path or a scheme, e.g. "class.school.org" behind a proxy); it
            wins over everything else, except a loopback one (no phone can open that).
        public_port: `browser.serverPort` when set on purpose; used with `public_address`.
        base_path: `server.baseUrlPath` ("" or e.g. "draw").
        https: the server has a certificate (`server.sslCertFile`).
        lan_addresses: this computer's IPv4 addresses, best first (`lan_ipv4_addresses()`).
    """
    scheme = "https" if https else "http"
    base_path = base_path.strip("/")
    if public_address and not _is_loopback(_host_of(public_address)):
        return JoinAddress((_public_url(public_address, public_port or port, scheme,
                                        base_path),))
    listen = (listen_address or "").strip()
    if _is_loopback(listen):
        return JoinAddress((), local_only=True, problem=(
            f"This server listens only on this computer (server.address {listen}), so phones "
            f"cannot reach it: stop it and start it with `{SERVE_COMMAND}`."))
    if listen not in _ALL_INTERFACES:  # one address of this computer, chosen on purpose
        return JoinAddress((_url(scheme, listen, port, base_path),))
    urls = tuple(_url(scheme, address, port, base_path) for address in lan_addresses)
    if not urls:
        return JoinAddress((), problem=(
            "This computer has no network address that phones could reach: connect it to the "
            "class's Wi-Fi (or network cable), then reload this page."))
    return JoinAddress(urls)


def _host_of(address: str) -> str:
    """The host part of 'name', 'name:port/path', 'http://name/path' or '[::1]:8501'."""
    rest = address.split("://", 1)[-1].split("/", 1)[0]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.rsplit(":", 1)[0] if rest.count(":") == 1 else rest


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(scheme: str, host: str, port: int, base_path: str) -> str:
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    netloc = host if port == default else f"{host}:{port}"
    return f"{scheme}://{netloc}/{base_path}".rstrip("/")


def _public_url(address: str, port: int, scheme: str, base_path: str) -> str:
    """`browser.serverAddress` as a URL: taken as it is when it has a scheme; otherwise the
    port goes after the host (unless it names one) and its own path replaces base_path."""
    address = address.strip().rstrip("/")
    if "://" in address:
        return address
    host, _, path = address.partition("/")
    if host.startswith("[") or host.count(":") == 1:  # names its port already
        return f"{scheme}://{host}/{path or base_path}".rstrip("/")
    return _url(scheme, host, port, path or base_path)


def lan_ipv4_addresses() -> list[str]:
    """This computer's IPv4 addresses on its networks, best first: the one its default route
    uses, then its other interfaces' (Linux), then what its host name resolves to. Never
    loopback (127.x), link-local (169.254.x: no DHCP server answered) or a container's, VM's
    or VPN's virtual interface. Sends nothing on the network; [] when not on any network.
    """
    return _usable([*_default_route_address(), *_interface_addresses(), *_hostname_addresses()])


def _usable(candidates: Iterable[str]) -> list[str]:
    """Candidates in order, without repeats, loopback, link-local or non-IPv4 ones."""
    found: list[str] = []
    for candidate in candidates:
        try:
            address = ipaddress.IPv4Address(candidate)
        except ValueError:
            continue
        if address.is_loopback or address.is_link_local or address.is_unspecified \
                or address.is_multicast or candidate in found:
            continue
        found.append(candidate)
    return found


def _default_route_address() -> list[str]:
    """The source address of this computer's default route, or [] without one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PROBE_ADDRESS)  # a UDP "connect" looks up the route, sends nothing
            return [probe.getsockname()[0]]
    except OSError:
        return []


def _interface_addresses() -> list[str]:
    """The IPv4 address of each physical-looking interface (Linux only; [] elsewhere)."""
    try:
        import fcntl
        import struct

        names = [name for _, name in socket.if_nameindex()
                 if not name.startswith(_VIRTUAL_PREFIXES)]
    except (ImportError, OSError, AttributeError):
        return []
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for name in names:
            try:
                packed = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR,
                                     struct.pack("256s", name.encode()[:15]))
            except OSError:  # the interface has no IPv4 address (or is down)
                continue
            found.append(socket.inet_ntoa(packed[20:24]))
    return found


def _hostname_addresses() -> list[str]:
    """What this computer's own name resolves to (often only 127.0.1.1 on Linux)."""
    try:
        return [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None,
                                                          socket.AF_INET)]
    except OSError:
        return []


def qr_png(text: str, *, scale: int = 10) -> bytes:
    """`text` (an address) as a QR code: PNG bytes, black modules on white with the 4-module
    quiet zone scanners need, `scale` px per module (a 29-module code at 10 is 370 px wide).
    Made here by segno; nothing is fetched."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


# -- the projector ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassDrawing:
    """One drawing as the projector shows it.

    Attributes:
        drawing: the saved drawing (label, what the model read when it was saved, ...); the
            projector shows its `model_input`.
        label_probability: the model in use's probability for the student's digit, in [0, 1];
            None when no model was given.
        reads: the digit the model in use reads now, 0-9; None when no model was given.
    """

    drawing: SavedDrawing
    label_probability: float | None = None
    reads: int | None = None


@dataclass(frozen=True)
class ClassSummary:
    """The class's saved drawings, summed up for the projector.

    Attributes:
        by_label: drawings saved of each digit 0-9 (all of them).
        latest: the newest drawings not hidden from the projector, newest first.
        confusion: (10, 10) int64; [said, read] counts the drawings students said were digit
            `said` that the model read as `read` when they were saved. Only drawings saved with
            the model's answer (imports may have none), among the newest `considered`.
        considered: drawings the confusion and the hardest looked at (the newest SUMMARY_LIMIT).
        hardest: the drawings not hidden from the projector that the model in use gives the
            lowest probability for the student's digit, below HARD_BELOW, lowest first (newer
            first on ties); () when none is that hard or no model was given.
    """

    by_label: tuple[int, ...]
    latest: tuple[ClassDrawing, ...]
    confusion: np.ndarray
    considered: int
    hardest: tuple[ClassDrawing, ...]

    @property
    def total(self) -> int:
        """All saved drawings."""
        return sum(self.by_label)

    @property
    def judged(self) -> int:
        """Drawings in the confusion: those saved with the model's answer."""
        return int(self.confusion.sum())

    @property
    def read_right(self) -> int:
        """Drawings the model read as the student's digit when they were saved."""
        return int(np.trace(self.confusion))

    def mixups(self, top: int = 3) -> list[tuple[int, int, int]]:
        """The most frequent misreadings as (said, read, count), most first (then by digit)."""
        wrong = self.confusion.copy()
        np.fill_diagonal(wrong, 0)
        said, read = np.nonzero(wrong)
        cells = sorted(zip(said.tolist(), read.tolist(), wrong[said, read].tolist(),
                           strict=True), key=lambda cell: (-cell[2], cell[0], cell[1]))
        return cells[:top]


def class_summary(store: DrawingStore,
                  predict: Callable[[np.ndarray], np.ndarray] | None = None, *,
                  latest: int = 8, hardest: int = 8, hard_below: float = HARD_BELOW,
                  limit: int = SUMMARY_LIMIT) -> ClassSummary:
    """What the projector shows, read from the store in two queries.

    Args:
        store: the saved drawings.
        predict: the model in use, (N, 28, 28) float32 in [0, 1] -> (N, 10) probabilities
            (`MlpWeights.predict`); None leaves `hardest` empty.
        latest, hardest: how many drawings of each to return.
        hard_below: only drawings whose digit gets less than this probability are hardest.
        limit: the newest drawings the confusion and the hardest look at.
    Raises:
        DrawingStoreError: the store cannot be read.
    """
    by_label = store.counts().by_label
    drawings = store.list(limit=limit) if sum(by_label) else []  # newest first
    confusion = np.zeros((10, 10), np.int64)
    for drawing in drawings:
        if drawing.predicted is not None:
            confusion[drawing.label, drawing.predicted] += 1
    shown = [drawing for drawing in drawings if not drawing.hidden]
    newest = tuple(ClassDrawing(drawing) for drawing in shown[:latest])
    hard: tuple[ClassDrawing, ...] = ()
    if predict is not None and shown and hardest > 0:
        images = np.stack([drawing.model_input for drawing in shown]).astype(np.float32)
        probabilities = np.asarray(predict(images / 255.0))
        labels = np.array([drawing.label for drawing in shown])
        of_label = probabilities[np.arange(len(shown)), labels]
        # Lowest probability first; on ties the newer drawing (drawings are newest first).
        order = np.lexsort((np.arange(len(shown)), of_label))[:hardest]
        order = order[of_label[order] < hard_below]
        hard = tuple(ClassDrawing(shown[index], float(of_label[index]),
                                  int(probabilities[index].argmax())) for index in order)
    return ClassSummary(tuple(by_label), newest, confusion, len(drawings), hard)
