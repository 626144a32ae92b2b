#!/usr/bin/python3
"""matrix-nio against Axon: run by nio.test.ts, prints one JSON object per line.

Usage: nio_client.py <mode> <homeserver-url> <name-a> <name-b>
  rooms     A and B register, log in again, A creates a room and invites B, B joins,
            both send and receive a message.
  presence  A and B register and share a room; A sets busy; B's presence callback
            sees it; B reads it back with get_presence.
The last line is the result: {"ok": true, ...} or {"ok": false, "error": "..."}.
"""
import asyncio
import json
import sys

from nio import (
    AsyncClient,
    JoinResponse,
    LoginResponse,
    PresenceEvent,
    PresenceGetResponse,
    PresenceSetResponse,
    RegisterResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

PASSWORD = "nio password 1"
BUSY = "org.matrix.msc3026.busy"


def emit(**fields):
    print(json.dumps(fields), flush=True)


class Failure(Exception):
    pass


def expect(resp, kind, what):
    if not isinstance(resp, kind):
        raise Failure(f"{what}: expected {kind.__name__}, got {type(resp).__name__}: {resp}")
    return resp


async def register_and_login(url, name):
    """Registers (m.login.dummy) on one client, then logs in for real on a fresh one."""
    first = AsyncClient(url, name)
    try:
        reg = expect(await first.register(name, PASSWORD), RegisterResponse, f"register {name}")
    finally:
        await first.close()
    client = AsyncClient(url, name)
    login = expect(await client.login(PASSWORD), LoginResponse, f"login {name}")
    emit(step="login", user_id=login.user_id, registered=reg.user_id)
    return client


async def sync_until(client, since, done, what, timeout_ms=2000, rounds=15):
    """Incremental syncs (long-polls) until done(client) holds."""
    for _ in range(rounds):
        resp = expect(await client.sync(timeout=timeout_ms, since=since), SyncResponse, f"sync ({what})")
        since = resp.next_batch
        if done(client):
            return since
    raise Failure(f"gave up waiting for {what}")


async def shared_room(a, b):
    created = expect(await a.room_create(name="nio room", invite=[b.user_id]), RoomCreateResponse, "room_create")
    room_id = created.room_id
    a_since = expect(await a.sync(timeout=0), SyncResponse, "initial sync A").next_batch
    b_since = expect(await b.sync(timeout=0), SyncResponse, "initial sync B").next_batch
    if room_id not in b.invited_rooms:
        b_since = await sync_until(b, b_since, lambda c: room_id in c.invited_rooms, "the invite")
    expect(await b.join(room_id), JoinResponse, "join")
    b_since = await sync_until(b, b_since, lambda c: room_id in c.rooms, "B's joined room")
    emit(step="joined", room_id=room_id)
    return room_id, a_since, b_since


async def rooms(url, name_a, name_b):
    a = await register_and_login(url, name_a)
    b = await register_and_login(url, name_b)
    try:
        room_id, a_since, b_since = await shared_room(a, b)
        seen = {"a": [], "b": []}

        def on_message(who):
            async def cb(room, event):
                seen[who].append({"room_id": room.room_id, "sender": event.sender, "body": event.body})
            return cb

        a.add_event_callback(on_message("a"), RoomMessageText)
        b.add_event_callback(on_message("b"), RoomMessageText)

        content = {"msgtype": "m.text", "body": "hello from nio A"}
        expect(await a.room_send(room_id, "m.room.message", content), RoomSendResponse, "room_send A")
        await sync_until(b, b_since, lambda c: any(m["body"] == "hello from nio A" for m in seen["b"]), "A's message at B")
        content = {"msgtype": "m.text", "body": "reply from nio B"}
        expect(await b.room_send(room_id, "m.room.message", content), RoomSendResponse, "room_send B")
        await sync_until(a, a_since, lambda c: any(m["body"] == "reply from nio B" for m in seen["a"]), "B's reply at A")
        emit(ok=True, room_id=room_id, a=a.user_id, b=b.user_id, seen_by_a=seen["a"], seen_by_b=seen["b"])
    finally:
        await a.close()
        await b.close()


async def presence(url, name_a, name_b):
    a = await register_and_login(url, name_a)
    b = await register_and_login(url, name_b)
    try:
        _room_id, _a_since, b_since = await shared_room(a, b)
        events = []

        async def on_presence(event):
            events.append({"user_id": event.user_id, "presence": event.presence, "status_msg": event.status_msg,
                           "last_active_ago": event.last_active_ago, "currently_active": event.currently_active})

        b.add_presence_callback(on_presence, PresenceEvent)
        expect(await a.set_presence(BUSY, "on a call"), PresenceSetResponse, "set_presence busy")
        await sync_until(b, b_since, lambda c: any(e["user_id"] == a.user_id and e["presence"] == BUSY for e in events),
                         "A's busy presence at B")
        got = expect(await b.get_presence(a.user_id), PresenceGetResponse, "get_presence")
        emit(ok=True, a=a.user_id, b=b.user_id, callback_events=events,
             get_presence={"user_id": got.user_id, "presence": got.presence, "status_msg": got.status_msg,
                           "last_active_ago": got.last_active_ago, "currently_active": got.currently_active})
    finally:
        await a.close()
        await b.close()


MODES = {"rooms": rooms, "presence": presence}


def main():
    mode, url, name_a, name_b = sys.argv[1:5]
    try:
        asyncio.run(asyncio.wait_for(MODES[mode](url, name_a, name_b), timeout=50))
    except Failure as err:
        emit(ok=False, error=str(err))
        sys.exit(1)
    except Exception as err:  # noqa: BLE001 - every failure must reach the node test as JSON
        emit(ok=False, error=f"{type(err).__name__}: {err}")
        sys.exit(1)


if __name__ == "__main__":
    main()
