// matrix-js-sdk 37.5.0 and the media repository: an image uploaded, set as avatar (profile and room), seen by another client.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EventType, Preset, type MatrixClient } from "matrix-js-sdk";
import sharp from "sharp";
import { addUser, startLiveServer, waitFor, type LiveServer } from "./harness";
import { loginClient, startSyncing } from "./js-sdk-client";

const PASSWORD = "correct horse battery";

describe("matrix-js-sdk 37.5.0 with media", { timeout: 60_000 }, () => {
  let live: LiveServer;
  let dir: string;
  const clients: MatrixClient[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "axon-e2e-media-"));
    live = await startLiveServer({ media: { path: dir } });
  });
  after(async () => {
    for (const c of clients) c.stopClient();
    await live.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** GET with the client's own token (authenticated media). */
  const fetchAs = async (client: MatrixClient, url: string) => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${client.getAccessToken()}` } });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  test("A uploads an image and sets it as avatar; B downloads it and a thumbnail, and sees the room avatar", async () => {
    await addUser(live, "mediaalice", PASSWORD);
    const bobId = await addUser(live, "mediabob", PASSWORD);
    const alice = await loginClient(live.url, "mediaalice", PASSWORD);
    const bob = await loginClient(live.url, "mediabob", PASSWORD);
    clients.push(alice, bob);

    const image = await sharp({ create: { width: 400, height: 300, channels: 3, background: "#2a6" } }).jpeg().toBuffer();
    const { content_uri: uri } = await alice.uploadContent(image, { name: "me.jpg", type: "image/jpeg" });
    assert.match(uri, /^mxc:\/\//);
    await alice.setAvatarUrl(uri);
    const profile = await bob.getProfileInfo(alice.getUserId() ?? "");
    assert.equal(profile.avatar_url, uri);

    const downloadUrl = bob.mxcUrlToHttp(uri, undefined, undefined, undefined, false, true, true);
    assert.ok(downloadUrl && downloadUrl.includes("/_matrix/client/v1/media/download/"), String(downloadUrl));
    const full = await fetchAs(bob, downloadUrl);
    assert.equal(full.res.status, 200);
    assert.deepEqual(full.bytes, image);
    assert.equal(full.res.headers.get("content-type"), "image/jpeg");
    assert.equal(full.res.headers.get("content-security-policy"), "sandbox; default-src 'none'");

    const thumbUrl = bob.mxcUrlToHttp(uri, 96, 96, "crop", false, true, true);
    assert.ok(thumbUrl && thumbUrl.includes("/_matrix/client/v1/media/thumbnail/"), String(thumbUrl));
    const thumb = await fetchAs(bob, thumbUrl);
    assert.equal(thumb.res.status, 200);
    const meta = await sharp(thumb.bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 96, 96]);

    // The same image as a room avatar, seen by B's synced room.
    await Promise.all([startSyncing(alice), startSyncing(bob)]);
    const { room_id: roomId } = await alice.createRoom({ preset: Preset.PublicChat, name: "with avatar" });
    await alice.sendStateEvent(roomId, EventType.RoomAvatar, { url: uri }, "");
    await bob.joinRoom(roomId);
    await waitFor(() => bob.getRoom(roomId)?.getMxcAvatarUrl() === uri, "B's room avatar");
    const roomThumb = bob.getRoom(roomId)?.getAvatarUrl(live.url, 32, 32, "crop", false, true);
    assert.ok(roomThumb, "B's client builds the room avatar URL");
    const roomAvatar = await fetchAs(bob, roomThumb);
    assert.equal(roomAvatar.res.status, 200);
    assert.equal((await sharp(roomAvatar.bytes).metadata()).width, 32);
    assert.equal(bob.getUserId(), bobId);
  });
});
