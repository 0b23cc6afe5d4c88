// The device's protocol logic, shared by the tab (IndexedDB + worker adapters) and Node (files, memory, in-process tfjs).
export * from './deviceAdapters.ts';
export * from './chunkedUpload.ts';
export * from './chunkedDownload.ts';
export * from './deviceCredentials.ts';
export * from './deviceSocket.ts';
export * from './deviceSession.ts';
export * from './deviceSituation.ts';
export * from './roundJob.ts';
export * from './secureQueryAnswers.ts';
export * from './secureRoundParticipant.ts';
