#!/usr/bin/env node
// Runs the compiled CLI (npm install and npm start build dist/).
import '../dist/src/cli/bin.js';
