export * from "./settings";
export { renderRcloneConfig } from "./rcloneConfig";
export { engineSettings, renderEngineSettings, ENGINE_SETTINGS_PATH } from "./engineSettings";
export { buildEngineBundle, engineBundle, type EngineBundle } from "./engineBundle";
export { onCalendar, renderUnits } from "./schedule";
export {
  decodeUserData,
  encodeUserData,
  renderCloudInit,
  renderHostArtifacts,
  USER_DATA_LIMIT_BYTES,
  type HostArtifacts,
} from "./cloudInit";
export {
  engineDelivery,
  engineParameterPrefix,
  packEngine,
  renderLoader,
  ENGINE_CHUNK_CHARS,
  MAX_ENGINE_CHUNKS,
  type EngineDelivery,
} from "./engineDelivery";
