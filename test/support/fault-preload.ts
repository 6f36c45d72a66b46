// Loaded with `node --import` into a server process under test: SIGUSR2 makes a promise reject
// with nobody listening, SIGHUP throws from an event handler, as a bug in the app would.
process.on('SIGUSR2', () => {
  void Promise.reject(new Error('test: a rejection nobody handles'));
});
process.on('SIGHUP', () => {
  throw new Error('test: an exception nobody catches');
});
