"""The web channel over real HTTP and WebSocket: frames in → Inbound, Outbound → frames, uploads, backlog.

A chat is the chat of its signed cookie; `open_chat` presents the cookie of a given chat id, from our own origin.
"""

import asyncio

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.base import Failure, SendError
from bot.channels.web import MAX_UPLOAD, WebChannel
from bot.core.messages import Button, Outbound
from bot.web.chat_identity import COOKIE

CHAT_A = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa"
CHAT_B = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
CHANNEL = web.AppKey("channel", WebChannel)


@pytest.fixture
async def client(channel: WebChannel):
    app = web.Application()
    app[CHANNEL] = channel
    channel.setup_routes(app)
    async with TestClient(TestServer(app)) as client:
        yield client


def as_chat(client: TestClient, chat: str) -> dict[str, str]:
    """The headers of our own page's requests as `chat`: its signed cookie and our origin."""
    channel = client.app[CHANNEL]
    return {"Cookie": f"{COOKIE}={channel.identity.sign(chat)}", "Origin": str(client.make_url("")).rstrip("/")}


async def open_chat(client: TestClient, chat: str):
    """A socket of `chat` that said hello and got `ready` back."""
    ws = await client.ws_connect("/chat/ws", headers=as_chat(client, chat))
    await ws.send_json({"type": "hello"})
    assert await ws.receive_json(timeout=2) == {"type": "ready"}
    return ws


async def until(condition, timeout: float = 2.0) -> None:
    """Wait for the server side to catch up with what the socket sent."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def upload(client: TestClient, data: bytes, field: str = "photo", chat: str = CHAT_A):
    form = FormData()
    form.add_field(field, data, filename="p.png", content_type="image/png")
    return await client.post("/chat/upload", data=form, headers=as_chat(client, chat))


# --- incoming: frame -> Inbound ----------------------------------------------------

INCOMING = [
    ({"type": "text", "text": "Xin chào", "id": "m-00000001"}, {"text": "Xin chào"}),
    ({"type": "text", "text": "dòng 1\ndòng 2", "id": "m-00000002"}, {"text": "dòng 1\ndòng 2"}),
    ({"type": "button", "payload": "report:confirm", "id": "m-00000003"}, {"payload": "report:confirm"}),
]


@pytest.mark.parametrize(("frame", "fields"), INCOMING, ids=["text", "line-breaks", "button"])
async def test_incoming_frame_becomes_inbound(client, sink, frame, fields):
    ws = await open_chat(client, CHAT_A)
    await ws.send_json(frame)
    await until(lambda: sink.received)
    inbound = sink.received[0]
    assert (inbound.channel, inbound.external_id, inbound.message_id) == ("web", CHAT_A, frame["id"])
    expected = {"text": None, "payload": None, "photo": None, **fields}
    assert {k: getattr(inbound, k) for k in expected} == expected


async def test_uploaded_photo_becomes_inbound_and_can_be_fetched(client, channel, sink):
    response = await upload(client, PNG)
    assert response.status == 200
    ref = (await response.json())["ref"]
    assert ref.endswith(".png") and "/" not in ref
    ws = await open_chat(client, CHAT_A)
    await ws.send_json({"type": "photo", "ref": ref, "text": "Lớp học", "id": "m-00000004"})
    await until(lambda: sink.received)
    assert (sink.received[0].photo, sink.received[0].text) == (ref, "Lớp học")
    assert await channel.fetch_photo(ref) == PNG


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"GIF? no, plain text", "photo"), (JPEG, "file"), (b"\xff\xd8\xff" + b"\x00" * MAX_UPLOAD, "photo")],
    ids=["not-an-image", "missing-field", "oversize"],
)
async def test_bad_upload_is_400(client, body, field):
    response = await upload(client, body, field)
    assert response.status == 400
    assert "error" in await response.json()


async def test_upload_that_is_not_multipart_is_400(client):
    response = await client.post("/chat/upload", data=b"raw", headers={**as_chat(client, CHAT_A),
                                                                       "Content-Type": "image/png"})
    assert response.status == 400


MALFORMED = [
    "not json",
    "[1, 2]",
    "[" * 20_000 + "]" * 20_000,  # deeper than the parser recurses
    {"type": "sticker", "id": "m-00000010"},
    {"type": ["text"], "id": "m-00000011"},
    {"type": "text", "text": "no id"},
    {"type": "text", "text": "bad id", "id": "../../etc"},
    {"type": "text", "text": "", "id": "m-00000012"},
    {"type": "text", "text": "x" * 4001, "id": "m-00000013"},
    {"type": "text", "text": 42, "id": "m-00000014"},
    {"type": "button", "id": "m-00000015"},
    {"type": "photo", "ref": "../../secret.png", "id": "m-00000016"},
    {"type": "photo", "ref": "AAAAAAAAAAAAAAAAAAAAAAAA.png", "id": "m-00000017"},
    {"type": "hello"},
]


@pytest.mark.parametrize("frame", MALFORMED)
async def test_malformed_frame_gets_error_and_socket_stays_usable(client, sink, frame):
    ws = await open_chat(client, CHAT_A)
    await (ws.send_str(frame) if isinstance(frame, str) else ws.send_json(frame))
    assert (await ws.receive_json(timeout=2))["type"] == "error"
    await ws.send_json({"type": "text", "text": "still here", "id": "m-00000099"})
    await until(lambda: sink.received)
    assert [i.text for i in sink.received] == ["still here"]


async def test_bad_hello_gets_error_then_a_good_hello_works(client):
    ws = await client.ws_connect("/chat/ws", headers=as_chat(client, CHAT_A))
    for hello in ({"type": "text", "text": "hi", "id": "m-00000001"}, {"type": "helo"}):
        await ws.send_json(hello)
        assert (await ws.receive_json(timeout=2))["type"] == "error"
    await ws.send_json({"type": "hello"})
    assert (await ws.receive_json(timeout=2))["type"] == "ready"


async def test_failing_sink_answers_error_and_keeps_socket(client, channel, sink):
    calls = []

    async def flaky(inbound):
        calls.append(inbound)
        if len(calls) == 1:
            raise RuntimeError("handler bug")

    await channel.start(flaky)
    ws = await open_chat(client, CHAT_A)
    await ws.send_json({"type": "text", "text": "one", "id": "m-00000020"})
    assert (await ws.receive_json(timeout=2))["error"] == "internal"
    await ws.send_json({"type": "text", "text": "two", "id": "m-00000021"})
    await until(lambda: len(calls) == 2)


# --- outgoing: Outbound -> frame -------------------------------------------------------


async def test_send_to_open_chat_arrives_with_buttons(client, channel):
    ws = await open_chat(client, CHAT_A)
    message = Outbound(
        "Chọn một mục:\n(hoặc gõ)",
        [[Button("menu:guides", "Hướng dẫn"), Button("menu:report", "Báo cáo")], [Button("menu:help", "Trợ giúp")]],
        request_contact="Gửi số điện thoại",
    )
    message_id = await channel.send(CHAT_A, message)
    assert await ws.receive_json(timeout=2) == {
        "type": "message",
        "id": message_id,
        "text": "Chọn một mục:\n(hoặc gõ)",
        "buttons": [
            [{"payload": "menu:guides", "label": "Hướng dẫn"}, {"payload": "menu:report", "label": "Báo cáo"}],
            [{"payload": "menu:help", "label": "Trợ giúp"}],
        ],
        "photo": None,
    }


async def test_send_to_closed_chat_is_delivered_in_order_after_reconnect(client, channel):
    ws = await open_chat(client, CHAT_A)
    await ws.close()
    await until(lambda: not channel._sockets)
    ids = [await channel.send(CHAT_A, Outbound(f"tin {n}")) for n in range(3)]
    assert all(ids)
    ws = await open_chat(client, CHAT_A)
    frames = [await ws.receive_json(timeout=2) for _ in ids]
    assert [(f["id"], f["text"]) for f in frames] == list(zip(ids, ["tin 0", "tin 1", "tin 2"], strict=True))


async def test_backlog_is_bounded_and_keeps_the_newest(client, channel):
    for n in range(60):
        await channel.send(CHAT_A, Outbound(f"tin {n}"))
    ws = await open_chat(client, CHAT_A)
    frames = [await ws.receive_json(timeout=2) for _ in range(50)]
    assert [f["text"] for f in frames] == [f"tin {n}" for n in range(10, 60)]


async def test_two_chats_are_kept_apart(client, channel, sink):
    ws_a, ws_b = await open_chat(client, CHAT_A), await open_chat(client, CHAT_B)
    await ws_b.send_json({"type": "text", "text": "từ B", "id": "m-00000030"})
    await until(lambda: sink.received)
    assert sink.received[0].external_id == CHAT_B
    await channel.send(CHAT_A, Outbound("cho A"))
    await channel.send(CHAT_B, Outbound("cho B"))
    assert (await ws_a.receive_json(timeout=2))["text"] == "cho A"
    assert (await ws_b.receive_json(timeout=2))["text"] == "cho B"


async def test_every_open_tab_of_a_chat_gets_the_message(client, channel):
    tabs = [await open_chat(client, CHAT_A) for _ in range(2)]
    await channel.send(CHAT_A, Outbound("cả hai"))
    assert [(await ws.receive_json(timeout=2))["text"] for ws in tabs] == ["cả hai", "cả hai"]


async def test_local_photo_is_served_by_token_only(client, channel, tmp_path):
    path = tmp_path / "poster.png"
    path.write_bytes(PNG)
    ws = await open_chat(client, CHAT_A)
    await channel.send(CHAT_A, Outbound("Áp phích", photo=str(path)))
    url = (await ws.receive_json(timeout=2))["photo"]
    assert url.startswith("/chat/media/") and "poster" not in url
    assert await (await client.get(url)).read() == PNG
    assert (await client.get("/chat/media/poster.png")).status == 404
    await channel.send(CHAT_A, Outbound("Ảnh", photo="https://example.org/a.jpg"))
    assert (await ws.receive_json(timeout=2))["photo"] == "https://example.org/a.jpg"


@pytest.mark.parametrize(
    ("chat", "photo"), [("bad/id", None), ("x", None), (CHAT_A, "/no/such/file.png")], ids=["slash", "short", "photo"]
)
async def test_unsendable_message_is_permanent(channel, chat, photo):
    with pytest.raises(SendError) as error:
        await channel.send(chat, Outbound("x", photo=photo))
    assert error.value.failure == Failure.PERMANENT


@pytest.mark.parametrize("ref", ["../secret.png", "a/b.png", "AAAAAAAAAAAAAAAAAAAAAAAA.exe"])
async def test_fetch_photo_rejects_paths(channel, ref):
    with pytest.raises(ValueError):
        await channel.fetch_photo(ref)


# --- page ---------------------------------------------------------------------------------


async def test_page_and_assets_are_served(client):
    page = await client.get("/chat")
    assert page.status == 200 and 'id="messages"' in await page.text()
    for name, kind in [("chat.css", "text/css"), ("chat.js", "text/javascript")]:
        response = await client.get(f"/chat/static/{name}")
        assert response.status == 200 and response.content_type == kind
    assert (await client.get("/chat/static/chat.html")).status == 404
    assert (await client.get("/chat/static/..%2F..%2Fchannels%2Fweb.py")).status == 404
    root = await client.get("/", allow_redirects=False)
    assert (root.status, root.headers["Location"]) == (302, "/chat")


async def test_page_labels_follow_the_language(client):
    default = await (await client.get("/chat")).text()
    english = await (await client.get("/chat?lang=en")).text()
    assert 'placeholder="Nhập tin nhắn…"' in default and '<html lang="vi">' in default
    assert 'placeholder="Type a message…"' in english and '<html lang="en">' in english
    assert "&#34;online&#34;: &#34;online&#34;" in english and "&#34;online&#34;: &#34;trực tuyến&#34;" in english
