#!/usr/bin/env node
'use strict';
require('../dist/tandem.js');
