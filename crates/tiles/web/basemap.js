// A configured basemap (`partimap serve --basemap-style URL`) under the map.
//
// /style.json names the basemap's MapLibre style in its metadata
// (`partimap:basemap`); without it nothing happens here, and the map stays
// on partimap's plain background with NRW's outline, asking no other host
// for anything. With it, the browser fetches the basemap's style from its
// host (partimap's server never does: it may sit where it cannot reach the
// Internet, and the basemap is always the one its publisher serves now) and
// its sources and layers are added to the map below partimap's own layers:
// every basemap id gets the prefix `basemap:` so that none can clash with
// partimap's, its relative URLs are resolved against the style's URL, and
// its sprite and glyphs become the map's. partimap's background and the
// state's fill are removed (the basemap draws the ground); the state's
// border stays above the basemap. Should the basemap fail to load, the map
// keeps partimap's ground and says so on the console.
//
// The pages call `partimapBasemap.attach(map)` right after creating the
// map; images and layers they add on `load` are left alone.
(function (root) {
    'use strict';

    var KEY = 'partimap:basemap';
    var PREFIX = 'basemap:';
    // partimap's layers that a basemap replaces, and the lowest of those it
    // keeps: the basemap's layers go below that one.
    var REPLACED = ['background', 'nrw-outline-fill'];
    var BELOW = 'nrw-outline-line';

    // An absolute URL for `url` read from the style at `base`; the
    // placeholders of tile and glyph URLs ({z}, {fontstack}, …) survive.
    function resolve(url, base) {
        if (typeof url !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(url)) {
            return url;
        }
        return new URL(url, base).href.replace(/%7B/gi, '{').replace(/%7D/gi, '}');
    }

    // The basemap's sources, layers, sprite and glyphs as they are added to
    // partimap's map: ids prefixed, URLs absolute. Pure, for tests.
    function prepare(style, styleUrl) {
        var sources = {};
        Object.keys(style.sources || {}).forEach(function (id) {
            var source = Object.assign({}, style.sources[id]);
            if (source.url) source.url = resolve(source.url, styleUrl);
            if (Array.isArray(source.tiles)) {
                source.tiles = source.tiles.map(function (t) { return resolve(t, styleUrl); });
            }
            if (typeof source.data === 'string') source.data = resolve(source.data, styleUrl);
            sources[PREFIX + id] = source;
        });
        var layers = (style.layers || []).map(function (layer) {
            var copy = Object.assign({}, layer, {id: PREFIX + layer.id});
            if (layer.source) copy.source = PREFIX + layer.source;
            return copy;
        });
        var sprite = style.sprite;
        if (typeof sprite === 'string') {
            sprite = resolve(sprite, styleUrl);
        } else if (Array.isArray(sprite)) {
            sprite = sprite.map(function (s) { return Object.assign({}, s, {url: resolve(s.url, styleUrl)}); });
        }
        return {
            sources: sources,
            layers: layers,
            sprite: sprite,
            glyphs: resolve(style.glyphs, styleUrl)
        };
    }

    function apply(map, basemap) {
        if (basemap.glyphs) map.setGlyphs(basemap.glyphs);
        if (basemap.sprite) map.setSprite(basemap.sprite);
        Object.keys(basemap.sources).forEach(function (id) {
            map.addSource(id, basemap.sources[id]);
        });
        var before = map.getLayer(BELOW) ? BELOW : undefined;
        basemap.layers.forEach(function (layer) { map.addLayer(layer, before); });
        REPLACED.forEach(function (id) {
            if (map.getLayer(id)) map.removeLayer(id);
        });
    }

    function load(map) {
        var style = map.getStyle();
        var url = style && style.metadata && style.metadata[KEY];
        if (!url) return Promise.resolve(false);
        return fetch(url, {credentials: 'omit'}).then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.json();
        }).then(function (json) {
            apply(map, prepare(json, url));
            return true;
        }).catch(function (err) {
            console.warn('Die Grundkarte ' + url + ' konnte nicht geladen werden: ' + err.message);
            return false;
        });
    }

    // Resolves to whether a basemap was added.
    function attach(map) {
        return new Promise(function (done) {
            var go = function () { done(load(map)); };
            if (map.isStyleLoaded()) go(); else map.once('style.load', go);
        });
    }

    var api = {attach: attach, prepare: prepare, KEY: KEY};
    if (typeof module === 'object' && module.exports) module.exports = api;
    else root.partimapBasemap = api;
})(this);
