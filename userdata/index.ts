export * from "./settings";
export { renderRcloneConfig } from "./rcloneConfig";
export { renderSyncScript, shq } from "./syncScript";
export { onCalendar, renderUnits } from "./schedule";
export { renderCloudInit, renderHostArtifacts, type HostArtifacts } from "./cloudInit";
