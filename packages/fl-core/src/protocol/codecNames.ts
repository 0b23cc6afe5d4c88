/** The codecs a "FLKW" payload may carry, as the wire names them; codec/codecSpec.ts maps each to its codec byte and parameters. */
export const WEIGHTS_CODECS = ['float32', 'float16', 'int8', 'topk'] as const;

/** Codecs for the global model sent to devices (a full model is never sparsified). */
export const DOWNLINK_CODECS = ['float32', 'float16'] as const;
