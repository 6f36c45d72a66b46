const api = 'https://rest.messagebird.com';
const realFetch = globalThis.fetch;

/**
 * The sender always calls https://rest.messagebird.com. This points its requests at a fake
 * MessageBird on a local port — over a real connection, so statuses, delays, cut connections and
 * aborts behave as on the internet — and refuses every other outside address.
 */
export function bridgeMessageBirdTo(fakeUrl: string): void {
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(`${api}/`)) return realFetch(`${fakeUrl}${url.slice(api.length)}`, init);
    if (/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) return realFetch(input, init);
    return Promise.reject(new TypeError(`fetch failed: no outside network in tests (${url})`));
  };
}

export function removeMessageBirdBridge(): void {
  globalThis.fetch = realFetch;
}
