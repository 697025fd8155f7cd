// The map of one procedure, made for an iframe in a portal's page
// (/embed/procedures/{id}): fitted to the procedure's area, with its
// reports, the wheel left to the host page (cooperative gestures), and —
// opened on its own, not in a frame — the snippet a portal editor copies.
//
// Talking to the host page: postMessage events {type, procedure, …} go to
// the host's origin only (never '*'): "partimap:ready" once the map is
// drawn, "partimap:feature-selected" when a report or the area is chosen.
// The map takes no messages from the host (yet).
//
// Security: texts from the API are put into the page with textContent only.
// Tests use window.partimapMap, window.partimapIdle and
// window.partimapHostOrigin.
(function () {
    'use strict';

    var match = /\/embed\/procedures\/(\d+)\/?$/.exec(window.location.pathname);
    if (!match) return;
    var id = match[1];
    // Every status: a portal embeds its procedure before and after it runs.
    var query = 'procedure=' + id + '&status=upcoming,running,closed';

    function setStatus(text) {
        var status = document.getElementById('embed-status');
        if (status) status.textContent = text;
    }

    // The host page's origin: the frame's parent, if there is one.
    function hostOrigin() {
        if (window.parent === window) return null;
        if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
            return window.location.ancestorOrigins[0];
        }
        try {
            return document.referrer ? new URL(document.referrer).origin : null;
        } catch (e) {
            return null;
        }
    }
    var host = hostOrigin();
    window.partimapHostOrigin = host;

    function tell(type, detail) {
        if (!host || host === 'null') return;
        var message = {type: type, procedure: Number(id)};
        for (var k in detail) {
            if (Object.prototype.hasOwnProperty.call(detail, k)) message[k] = detail[k];
        }
        window.parent.postMessage(message, host);
    }

    // "a & b" -> "a &amp; b": for the attribute of the snippet.
    function attribute(text) {
        return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;')
            .replace(/</g, '&lt;').replace(/>/g, '&gt;');
    }

    function showSnippet(title) {
        var details = document.getElementById('embed-snippet');
        var code = document.getElementById('embed-code');
        if (!details || !code || host) return;
        var src = new URL(window.location.pathname, window.location.href).href;
        code.value = '<iframe src="' + attribute(src) + '" title="' + attribute('Karte: ' + title) +
            '" loading="lazy" width="100%" height="480" style="border:0"></iframe>';
        details.hidden = false;
    }

    var maplibregl = window.maplibregl;
    var container = document.getElementById('map');
    if (!container || typeof maplibregl === 'undefined') {
        setStatus('Die Kartenbibliothek konnte nicht geladen werden.');
        return;
    }

    fetch('/api/v1/procedures/' + id).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
    }).then(function (p) {
        var title = p.title || 'Beteiligungsverfahren';
        document.title = 'Karte: ' + title;
        var h1 = document.getElementById('embed-titel');
        if (h1) h1.textContent = title;
        showSnippet(title);
    }, function (err) {
        console.warn('the procedure could not be loaded', err);
    });

    fetch('/tiles.json?' + query).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
    }).then(function (tilejson) {
        var b = tilejson.bounds;
        var map = new maplibregl.Map({
            container: 'map',
            style: '/style.json?' + query,
            bounds: [[b[0], b[1]], [b[2], b[3]]],
            fitBoundsOptions: {padding: 24, maxZoom: 17},
            attributionControl: {compact: true},
            cooperativeGestures: true,
            dragRotate: false,
            pitchWithRotate: false,
            touchPitch: false,
            locale: {
                'CooperativeGesturesHandler.WindowsHelpText': 'Strg + Mausrad zum Zoomen der Karte verwenden',
                'CooperativeGesturesHandler.MacHelpText': '⌘ + Mausrad zum Zoomen der Karte verwenden',
                'CooperativeGesturesHandler.MobileHelpText': 'Zum Verschieben der Karte zwei Finger verwenden',
                'NavigationControl.ZoomIn': 'Vergrößern',
                'NavigationControl.ZoomOut': 'Verkleinern',
                'Map.Title': 'Karte des Verfahrens. Mit den Pfeiltasten verschieben, mit Plus und Minus vergrößern oder verkleinern.'
            }
        });
        window.partimapMap = map;
        window.partimapIdle = false;
        map.touchZoomRotate.disableRotation();
        map.keyboard.disableRotation();
        map.addControl(new maplibregl.NavigationControl({showCompass: false}), 'top-right');
        var ready = false;
        map.on('idle', function () {
            window.partimapIdle = true;
            if (!ready) {
                ready = true;
                setStatus('');
                tell('partimap:ready', {});
            }
        });
        map.on('click', function (e) {
            var layers = ['reports', 'report-clusters', 'procedure-areas', 'procedure-points'].filter(function (l) {
                return map.getLayer(l);
            });
            var hit = map.queryRenderedFeatures(e.point, {layers: layers})[0];
            if (!hit) return;
            var props = hit.properties || {};
            tell('partimap:feature-selected', {
                layer: hit.sourceLayer,
                id: props.id !== undefined ? props.id : hit.id,
                category: props.category,
                status: props.status
            });
        });
    }).catch(function (err) {
        console.error(err);
        setStatus('Die Karte konnte nicht geladen werden.');
    });
}());
