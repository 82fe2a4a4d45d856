#!/usr/bin/env node
// The `conduit-api` command. A committed file rather than dist/main.js itself, so that installing the
// workspace before the first build can link it (pnpm warns about a bin whose file does not exist).
import "../dist/main.js";
