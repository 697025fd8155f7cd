#!/usr/bin/env node
// Decodes a Mapbox Vector Tile with the same decoder MapLibre GL JS uses
// (@mapbox/vector-tile 2.x on pbf 4.x, the versions maplibre-gl 5.x depends on)
// and prints ONE JSON object to stdout:
//
//   {"layers": {"<name>": {"version": n, "extent": n, "features": [
//     {"id": n|null, "type": "Point"|"LineString"|"Polygon"|"Unknown",
//      "properties": {...},
//      "geojson": <feature.toGeoJSON(x, y, z).geometry, lon/lat>,
//      "rings": [{"area": a, "points": n, "zero_length_segments": n}]   // polygons only
//     }]}}}
//
// Usage: node tests/js/decode-tile.mjs FILE.mvt Z X Y
//
// "rings" has one entry per ring exactly as loadGeometry() returns them.
// Note that loadGeometry() appends a copy of the ring's first point for every
// ClosePath command, so "points" counts that closing point too (a square
// encoded as MoveTo + 3 LineTo + ClosePath has points = 5).
// "area" is the signed area by the surveyor's formula in tile coordinates
// (x right, y down), 1/2 * sum(x_i * y_{i+1} - x_{i+1} * y_i), which the
// MVT 2.1 spec (4.3.4.4) makes positive for exterior rings and negative for
// interior rings.
// "zero_length_segments" counts consecutive identical points in the ring,
// i.e. LineTo commands with a zero delta and a first point repeated before
// ClosePath (both of which the spec tells encoders to avoid).
//
// Layers without features are not reported: @mapbox/vector-tile drops them.
// An empty (zero-byte) file decodes to {"layers": {}}.
// On a decode error the script prints a message to stderr and exits 1.

import {readFileSync} from 'node:fs';
import Pbf from 'pbf';
import {VectorTile, VectorTileFeature} from '@mapbox/vector-tile';

function usage(message) {
    if (message) process.stderr.write(`decode-tile: ${message}\n`);
    process.stderr.write('usage: node decode-tile.mjs FILE.mvt Z X Y\n');
    process.exit(2);
}

function parseTileNumber(name, text) {
    if (!/^\d+$/.test(text ?? '')) usage(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
    return Number(text);
}

function signedArea(ring) {
    let sum = 0;
    for (let i = 0; i < ring.length; i++) {
        const p = ring[i];
        const q = ring[(i + 1) % ring.length];
        sum += p.x * q.y - q.x * p.y;
    }
    return sum / 2;
}

function zeroLengthSegments(ring) {
    let count = 0;
    for (let i = 1; i < ring.length; i++) {
        if (ring[i].x === ring[i - 1].x && ring[i].y === ring[i - 1].y) count++;
    }
    return count;
}

function decodeFeature(feature, z, x, y) {
    const type = VectorTileFeature.types[feature.type] ?? 'Unknown';
    const out = {
        id: feature.id ?? null,
        type,
        properties: {...feature.properties},
        geojson: null,
    };
    // loadGeometry() throws on unknown commands / missing geometry: a decode error.
    const geometry = feature.loadGeometry();
    if (type !== 'Unknown') out.geojson = feature.toGeoJSON(x, y, z).geometry;
    if (type === 'Polygon') {
        out.rings = geometry.map((ring) => ({
            area: signedArea(ring),
            points: ring.length,
            zero_length_segments: zeroLengthSegments(ring),
        }));
    }
    return out;
}

function main() {
    const args = process.argv.slice(2);
    if (args.length !== 4) usage('expected 4 arguments');
    const [file, zText, xText, yText] = args;
    const z = parseTileNumber('Z', zText);
    const x = parseTileNumber('X', xText);
    const y = parseTileNumber('Y', yText);

    let bytes;
    try {
        bytes = readFileSync(file);
    } catch (err) {
        process.stderr.write(`decode-tile: cannot read ${file}: ${err.message}\n`);
        process.exit(1);
    }

    const result = {layers: {}};
    try {
        if (bytes.length > 0) {
            const tile = new VectorTile(new Pbf(bytes));
            for (const [name, layer] of Object.entries(tile.layers)) {
                const features = [];
                for (let i = 0; i < layer.length; i++) {
                    features.push(decodeFeature(layer.feature(i), z, x, y));
                }
                result.layers[name] = {version: layer.version, extent: layer.extent, features};
            }
        }
    } catch (err) {
        process.stderr.write(`decode-tile: cannot decode ${file}: ${err && err.message ? err.message : err}\n`);
        process.exit(1);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
