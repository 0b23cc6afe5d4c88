// The wire, free of tfjs: the device page and the dashboard import only this, ../config and ../data.
export * from './device.ts';
export * from './dashboard.ts';
export * from './codecNames.ts';
export * from './federatedEvaluation.ts';
export * from './events.ts';
export * from './auth.ts';
export * from './chunkedUploadMessages.ts';
export * from './chunkedDownloadMessages.ts';
export * from './deviceBytes.ts';
export * from './deviceStateWords.ts';
export * from './devicePlatformWords.ts';
export * from './issueWords.ts';
export * from './pages.ts';
export * from './coordinators.ts';
