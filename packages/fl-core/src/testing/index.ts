// Test support, for tests only: fixtures and fakes that fl-core's tests and the apps' tests share.
export * from './configFixture.ts';
export * from './fakeDevicePlatform.ts';
export * from './strategyRounds.ts';
