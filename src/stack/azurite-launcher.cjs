// Starts Azurite's blob service with its blob index saved every 20 ms instead of every 5 s.
// Azurite keeps that index in LokiJS and saves it on a fixed 5 s timer, so a SIGKILL loses
// every blob acknowledged in the last 5 s; Azure Storage never loses an acknowledged write.
// The fault suite kills the whole stack mid-run, so the local stack narrows that window.
'use strict';

const path = require('node:path');

const azuriteMain = require.resolve('azurite/dist/src/blob/main.js');
// The same LokiJS module instance Azurite will load.
const Loki = require(require.resolve('lokijs', { paths: [path.dirname(azuriteMain)] }));
const configureOptions = Loki.prototype.configureOptions;
Loki.prototype.configureOptions = function (options, initialConfig) {
  const patched = options && options.autosave ? { ...options, autosaveInterval: 20 } : options;
  return configureOptions.call(this, patched, initialConfig);
};

require(azuriteMain);
