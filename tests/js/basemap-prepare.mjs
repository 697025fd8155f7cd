// node basemap-prepare.mjs BASEMAP_JS STYLE_JSON STYLE_URL
// Loads partimap's basemap.js (as served, saved to a .cjs file) and prints
// what it would add to the map for the basemap style STYLE_JSON fetched
// from STYLE_URL: {sources, layers, sprite, glyphs}.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const [script, styleFile, styleUrl] = process.argv.slice(2);
const basemap = createRequire(import.meta.url)(resolve(script));
const style = JSON.parse(readFileSync(styleFile, 'utf8'));
console.log(JSON.stringify(basemap.prepare(style, styleUrl)));
