#!/usr/bin/env node
// Reads a PMTiles archive with the `pmtiles` package (the reader MapLibre
// uses through its pmtiles:// protocol) and prints ONE JSON object:
//   {"header": {...}, "metadata": {...}, "tile": {"found": bool, "bytes": n}}
// Usage: node tests/js/read-pmtiles.mjs ARCHIVE Z X Y [OUT]
// OUT receives the tile's (decompressed) bytes when given and found.
import {openSync, readSync, writeFileSync, fstatSync} from 'node:fs';
import {PMTiles} from 'pmtiles';

const [file, z, x, y, out] = process.argv.slice(2);
if (!file || z === undefined || x === undefined || y === undefined) {
  console.error('usage: read-pmtiles.mjs ARCHIVE Z X Y [OUT]');
  process.exit(2);
}

// A Source over a local file: the library asks for byte ranges.
class LocalFile {
  constructor(path) {
    this.path = path;
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }
  getKey() {
    return this.path;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, this.size - offset)));
    readSync(this.fd, buf, 0, buf.length, offset);
    return {data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)};
  }
}

try {
  const archive = new PMTiles(new LocalFile(file));
  const header = await archive.getHeader();
  const metadata = await archive.getMetadata();
  const tile = await archive.getZxy(Number(z), Number(x), Number(y));
  const result = {header, metadata, tile: {found: Boolean(tile), bytes: tile ? tile.data.byteLength : 0}};
  if (tile && out) writeFileSync(out, Buffer.from(tile.data));
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(`cannot read ${file}: ${e.message}`);
  process.exit(1);
}
