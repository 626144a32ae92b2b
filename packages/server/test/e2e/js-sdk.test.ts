// matrix-js-sdk 37.5.0 against a real Axon on a real socket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { addUser, startLiveServer, type LiveServer } from "./harness";
import { loginClient } from "./js-sdk-client";

const PASSWORD = "correct horse battery";

describe("matrix-js-sdk 37.5.0", { timeout: 60_000 }, () => {
  let live: LiveServer;
  before(async () => {
    live = await startLiveServer();
  });
  after(async () => {
    await live.close();
  });

  test("loginWithPassword (legacy `user`, localpart) then whoami", async () => {
    const userId = await addUser(live, "jsalice", PASSWORD);
    const client = await loginClient(live.url, "jsalice", PASSWORD);
    try {
      assert.equal(client.getUserId(), userId);
      assert.ok(client.getAccessToken(), "the SDK kept the access token");
      const deviceId = client.getDeviceId();
      assert.ok(deviceId, "the SDK kept the device id");
      const me = await client.whoami();
      assert.equal(me.user_id, userId);
      assert.equal(me.device_id, deviceId);
    } finally {
      client.stopClient();
    }
  });

  test("loginWithPassword with a full user id; a wrong password is refused", async () => {
    const userId = await addUser(live, "jsbob", PASSWORD);
    const client = await loginClient(live.url, userId, PASSWORD);
    try {
      assert.equal((await client.whoami()).user_id, userId);
    } finally {
      client.stopClient();
    }
    await assert.rejects(loginClient(live.url, userId, "wrong password"), (err: { errcode?: string; httpStatus?: number }) => {
      assert.equal(err.errcode, "M_FORBIDDEN");
      assert.equal(err.httpStatus, 403);
      return true;
    });
  });
});
