export { DEFAULT_SECAGG_CLIP, MAX_SECAGG_GROUP, SecureAggregationConfig } from './config.ts';
export { SecAggDevice, type SecAggRoundTag } from './device.ts';
export {
  SECAGG_STAGES,
  SecAggAdvertisement,
  SecAggAdvertiseRequest,
  SecAggAnswerMessage,
  SecAggMaskedInput,
  SecAggMaskedInputRequest,
  SecAggRequestMessage,
  SecAggRoundSettings,
  SecAggStage,
  type ParsedSecAggRequestMessage,
  SecAggShareKeysRequest,
  SecAggShares,
  SecAggUnmaskRequest,
  SecAggUnmaskShares,
  toWire,
} from './messages.ts';
export { applyMasks, maskVector, sumMasks, type Masker, type MaskingWork, type MaskSummer, type SeededMask } from './masking.ts';
export { addWords } from './maskStream.ts';
export { neighbourGraph } from './neighbourGraph.ts';
export { deriveSecAggParams, SECAGG_MODULUS, type SecAggGroupParams, type SecAggResult } from './params.ts';
export { discreteGaussian } from './discreteNoise.ts';
export {
  dequantizeMean,
  deviceNoiseStd,
  quantizationLevels,
  quantizeWeighted,
  quantizeWithNoise,
  type DistributedNoise,
  type NoiseSizing,
  type QuantizationParams,
  type WeightedMean,
} from './quantize.ts';
export { SecAggServer, type Acceptance, type SecAggServerOptions, type SecAggServerStage, type SecAggSum } from './server.ts';
export { simulateSecAggRound, type SimulatedDevice, type SimulatedRound } from './simulateRound.ts';
