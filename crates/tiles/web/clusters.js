// The counts of the report clusters, on both pages.
//
// The style has no glyphs (a font request would go to a third party or
// need fonts served), so a cluster's count is page text: a button over its
// circle, which a keyboard reaches (Tab) and a screen reader names ("12
// Meldungen – vergrößern"); pressing it zooms to where the cluster splits
// (its `expansion_zoom`); at most MAX_BUTTONS, the largest clusters in
// view. The buttons follow what the map draws: after
// every 'idle' the rendered clusters are read back and the buttons added,
// moved, relabelled or removed to match.
//
// window.partimapClusters = {attach(map, t), isCount(target)}; `t` is the
// page's translation (i18n.js).
(function () {
    'use strict';

    var LAYER = 'report-clusters';
    // At most this many buttons (the largest clusters in view): each is a
    // DOM element MapLibre moves on every frame of a pan, and the shared
    // workload draws up to 1,000 clusters in one zoom-6 tile. The others
    // keep their circle, whose size says how many.
    var MAX_BUTTONS = 200;

    function number(n, lang) {
        try {
            return Number(n).toLocaleString(lang === 'en' ? 'en-GB' : 'de-DE');
        } catch (e) {
            return String(n);
        }
    }

    function attach(map, t, lang) {
        var shown = Object.create(null);

        function label(count) {
            return count === 1
                ? t('1 Meldung – vergrößern')
                : t('{n} Meldungen – vergrößern', {n: number(count, lang)});
        }

        function button(feature) {
            var element = document.createElement('button');
            element.type = 'button';
            element.className = 'cluster-count';
            element.addEventListener('click', function (e) {
                e.stopPropagation();
                var p = element.partimapCluster;
                var zoom = Number(p.expansion_zoom);
                map.easeTo({
                    center: p.lngLat,
                    zoom: isFinite(zoom) && zoom > map.getZoom() ? zoom : map.getZoom() + 2
                });
            });
            return element;
        }

        function update() {
            if (!map.getLayer(LAYER)) return;
            var seen = Object.create(null);
            var features = map.queryRenderedFeatures({layers: [LAYER]});
            // Tests lower the cap with window.partimapMaxClusterButtons.
            var max = Number(window.partimapMaxClusterButtons) || MAX_BUTTONS;
            if (features.length > max) {
                features.sort(function (a, b) {
                    return (Number(b.properties && b.properties.count) || 0) - (Number(a.properties && a.properties.count) || 0);
                });
            }
            var labelled = 0;
            for (var i = 0; i < features.length && labelled < max; i++) {
                var f = features[i];
                var p = f.properties || {};
                var coords = f.geometry && f.geometry.coordinates;
                if (!coords) continue;
                // A cluster near a tile's edge is in both tiles: one button.
                var key = (f.id !== undefined ? f.id : p.procedure_id + '@' + coords.join(',')) + '/' + Math.floor(map.getZoom());
                if (seen[key]) continue;
                seen[key] = true;
                labelled++;
                var count = Number(p.count) || 0;
                var entry = shown[key];
                if (!entry) {
                    var element = button(f);
                    entry = shown[key] = {
                        element: element,
                        marker: new window.maplibregl.Marker({element: element}).setLngLat(coords).addTo(map)
                    };
                } else {
                    entry.marker.setLngLat(coords);
                }
                entry.element.textContent = number(count, lang);
                entry.element.setAttribute('aria-label', label(count));
                entry.element.partimapCluster = {lngLat: coords, expansion_zoom: p.expansion_zoom, count: count};
            }
            for (var k in shown) {
                if (!seen[k]) {
                    shown[k].marker.remove();
                    delete shown[k];
                }
            }
        }

        map.on('idle', update);
    }

    // Whether a click's target is one of the count buttons (the pages'
    // own map clicks leave those alone).
    function isCount(target) {
        return !!(target && target.closest && target.closest('.cluster-count'));
    }

    window.partimapClusters = {attach: attach, isCount: isCount};
}());
