// Free of tfjs: the device page and the dashboard import only this (and ../data).
export * from './messages.ts';
export * from './federation.ts';
export * from './datasetConfig.ts';
export * from './federatedEvaluation.ts';
export * from './events.ts';
export * from './auth.ts';
export * from './chunkedUploadMessages.ts';
export * from './chunkedDownloadMessages.ts';
export * from './deviceBytes.ts';
export * from './deviceStateWords.ts';
export * from './issueWords.ts';
export * from './pages.ts';
