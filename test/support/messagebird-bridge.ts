import https from 'node:https';
import { Socket } from 'node:net';
import type { NetConnectOpts } from 'node:net';
import { connect as connectTls } from 'node:tls';

const realAgent = https.globalAgent;

export type Bridge = {
  /** Every connection the SDK opened, newest last. */
  readonly sockets: Socket[];
  /** Holds each new connection this long before it connects, as a slow network would. */
  connectDelayMs: number;
  /** Speaks TLS to the fake's plain HTTP port, so the handshake fails as against a wrong server. */
  tls: boolean;
  /** Closes every connection, idle ones in the agent's pool included, so the next send opens a new one. */
  closeConnections(): void;
};

/**
 * The SDK always calls https://rest.messagebird.com through Node's global HTTPS agent. This agent
 * connects those calls to a fake MessageBird on a local port over a real, plain connection — so
 * statuses, delays, idle timeouts, cut connections and aborts behave as on the internet — and
 * refuses every other outside address. Like Node's global agent, it keeps connections alive between
 * requests (for at most `timeout` idle), so the sender meets socket reuse as in production.
 */
export function bridgeMessageBirdTo(fakeUrl: string): Bridge {
  const { hostname, port } = new URL(fakeUrl);
  const bridge: Bridge = {
    sockets: [],
    connectDelayMs: 0,
    tls: false,
    closeConnections() {
      for (const socket of bridge.sockets) socket.destroy();
    },
  };
  class BridgeAgent extends https.Agent {
    override createConnection(options: NetConnectOpts & { host?: string }): Socket {
      if (bridge.tls) {
        const secure = connectTls({ host: hostname, port: Number(port), servername: 'rest.messagebird.com' });
        bridge.sockets.push(secure);
        return secure;
      }
      const socket = new Socket();
      // As Node's own agents do (noDelay defaults to true): without it, Nagle's algorithm holds the
      // request body until the headers are acknowledged, adding tens of ms to every send.
      socket.setNoDelay(true);
      bridge.sockets.push(socket);
      if (options.host !== 'rest.messagebird.com') {
        process.nextTick(() => socket.destroy(Object.assign(new Error(`no outside network in tests (${options.host})`), { code: 'ENETUNREACH' })));
        return socket;
      }
      // A name look-up that takes connectDelayMs: the socket is connecting all that time, as on a slow network.
      const delay = bridge.connectDelayMs;
      socket.connect({
        port: Number(port),
        host: 'rest.messagebird.com',
        lookup: (_name, lookupOptions, found) => setTimeout(() => {
          if (lookupOptions.all) (found as unknown as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: hostname, family: 4 }]);
          else found(null, hostname, 4);
        }, delay),
      });
      return socket;
    }
  }
  const { keepAlive, timeout, scheduling } = realAgent.options;
  https.globalAgent = new BridgeAgent({ keepAlive, timeout, scheduling });
  return bridge;
}

export function removeMessageBirdBridge(): void {
  https.globalAgent = realAgent;
}
