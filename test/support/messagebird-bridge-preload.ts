// Loaded with `node --import` into a server process under test, so its real MessageBird sender
// talks to the test's fake MessageBird instead of the internet.
import { bridgeMessageBirdTo } from './messagebird-bridge.ts';

const url = process.env.FAKE_MESSAGEBIRD_URL;
if (!url) throw new Error('FAKE_MESSAGEBIRD_URL is not set');
bridgeMessageBirdTo(url);
