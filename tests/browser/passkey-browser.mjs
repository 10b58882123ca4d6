// A real browser's passkey for the end-to-end tests: headless Chromium with its WebAuthn virtual
// authenticator (DevTools protocol), a credential created on a local page, and one
// `navigator.credentials.get` per challenge asked for.
//
// Protocol (JSON lines): prints {"origin","rp_id","public_key_spki"} once the credential exists,
// then answers each {"challenge": "<64 hex digits>"} read from stdin with
// {"authenticator_data","client_data_json","signature"} (hex; the signature DER-encoded), or
// {"error": "..."}. Closing stdin closes the browser.
import http from "node:http";
import readline from "node:readline";
import { chromium } from "playwright-core";

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RP_ID = "localhost";

const server = http.createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  response.end("<!doctype html><title>session keys: passkey</title><p>passkey test page</p>");
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://${RP_ID}:${server.address().port}`;

const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
const page = await browser.newPage();
await page.goto(`${origin}/`);
const devtools = await page.context().newCDPSession(page);
await devtools.send("WebAuthn.enable");
await devtools.send("WebAuthn.addVirtualAuthenticator", {
  options: {
    protocol: "ctap2",
    transport: "internal",
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
    automaticPresenceSimulation: true,
  },
});

const toHex = (bytes) => Buffer.from(bytes).toString("hex");

const credential = await page.evaluate(async (rpId) => {
  const created = await navigator.credentials.create({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      rp: { id: rpId, name: "Session keys test" },
      user: { id: crypto.getRandomValues(new Uint8Array(16)), name: "player", displayName: "Player" },
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
    },
  });
  return {
    id: Array.from(new Uint8Array(created.rawId)),
    spki: Array.from(new Uint8Array(created.response.getPublicKey())),
  };
}, RP_ID);
console.log(JSON.stringify({ origin, rp_id: RP_ID, public_key_spki: toHex(credential.spki) }));

async function assert(challengeHex) {
  const challenge = Array.from(Buffer.from(challengeHex, "hex"));
  const assertion = await page.evaluate(
    async ({ rpId, id, challenge }) => {
      const got = await navigator.credentials.get({
        publicKey: {
          challenge: new Uint8Array(challenge),
          rpId,
          allowCredentials: [{ type: "public-key", id: new Uint8Array(id) }],
          userVerification: "required",
        },
      });
      const bytes = (buffer) => Array.from(new Uint8Array(buffer));
      return {
        authenticatorData: bytes(got.response.authenticatorData),
        clientDataJSON: bytes(got.response.clientDataJSON),
        signature: bytes(got.response.signature),
      };
    },
    { rpId: RP_ID, id: credential.id, challenge },
  );
  return {
    authenticator_data: toHex(assertion.authenticatorData),
    client_data_json: toHex(assertion.clientDataJSON),
    signature: toHex(assertion.signature),
  };
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  try {
    const { challenge } = JSON.parse(line);
    if (!/^[0-9a-f]{64}$/.test(challenge)) throw new Error("the challenge must be 64 lowercase hex digits");
    console.log(JSON.stringify(await assert(challenge)));
  } catch (error) {
    console.log(JSON.stringify({ error: String(error?.message ?? error) }));
  }
}
await browser.close();
server.close();
