// Node-RED settings for the passthrough benchmark: no editor, no HTTP nodes, no
// listening port, warnings only. The benchmark passes --userDir (a temp dir) and the
// flow file; the flow reads the broker port from MQTT_PORT.
module.exports = {
    uiPort: 0,
    httpAdminRoot: false,
    httpNodeRoot: false,
    flowFilePretty: false,
    credentialSecret: false,
    logging: {
        console: {level: "warn", metrics: false, audit: false}
    },
    editorTheme: {projects: {enabled: false}},
    externalModules: {autoInstall: false, palette: {allowInstall: false}, modules: {allowInstall: false}},
    telemetry: {enabled: false}
};
