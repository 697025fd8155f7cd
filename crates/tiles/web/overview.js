// Overview map of the participation procedures in North Rhine-Westphalia.
//
// Security: every text that comes from the tiles is put into the page with
// textContent / createElement only – never innerHTML – and links are only
// made from http(s) URLs.
//
// Tests use window.partimapMap (the maplibregl.Map), window.partimapIdle
// (true once the map has fired its first 'idle' event) and
// window.partimapListQuery (the filter query of the list last shown).
//
// The filter form (kind, status), the page's URL, the tiles and the list
// share one selection: the URL's query (kind=…&status=…, the tile server's
// own parameters) is read at load, and every change of the form writes it
// back (history.replaceState), points the map's source at /tiles.json with
// it and reloads the list with it.
(function () {
    'use strict';

    var KIND_LABELS = {
        dialog: 'Dialog',
        survey: 'Umfrage',
        event: 'Veranstaltung',
        formal_procedure: 'Förmliches Verfahren',
        land_use_plan: 'Bauleitplanung',
        reporting: 'Mängelmelder'
    };

    var STATUS_LABELS = {
        upcoming: 'Demnächst',
        running: 'Läuft',
        closed: 'Abgeschlossen'
    };

    var SOURCE_ID = 'partimap';
    var PROCEDURE_SOURCE_LAYER = 'procedures';
    var PROCEDURE_LAYERS = ['procedure-areas', 'procedure-patterns', 'procedure-points'];
    // How far (in CSS pixels) around a click or tap features are looked for.
    var HIT_TOLERANCE = 4;
    var MAX_POPUP_ITEMS = 5;
    var MAX_LIST_ITEMS = 50;

    var LOCALE = {
        'AttributionControl.ToggleAttribution': 'Quellenangaben ein- oder ausblenden',
        'AttributionControl.MapFeedback': 'Rückmeldung zur Karte',
        'FullscreenControl.Enter': 'Vollbild',
        'FullscreenControl.Exit': 'Vollbild beenden',
        'GeolocateControl.FindMyLocation': 'Meinen Standort finden',
        'GeolocateControl.LocationNotAvailable': 'Standort nicht verfügbar',
        'LogoControl.Title': 'MapLibre-Logo',
        'Map.Title': 'Karte der Beteiligungsverfahren. Mit den Pfeiltasten verschieben, mit Plus und Minus vergrößern oder verkleinern.',
        'Marker.Title': 'Kartenmarkierung',
        'NavigationControl.ResetBearing': 'Karte nach Norden ausrichten',
        'NavigationControl.ZoomIn': 'Vergrößern',
        'NavigationControl.ZoomOut': 'Verkleinern',
        'Popup.Close': 'Popup schließen',
        'ScaleControl.Meters': 'm',
        'ScaleControl.Kilometers': 'km',
        'CooperativeGesturesHandler.WindowsHelpText': 'Strg + Mausrad zum Zoomen der Karte verwenden',
        'CooperativeGesturesHandler.MacHelpText': '⌘ + Mausrad zum Zoomen der Karte verwenden',
        'CooperativeGesturesHandler.MobileHelpText': 'Zum Verschieben der Karte zwei Finger verwenden'
    };

    function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (text !== undefined && text !== null) node.textContent = String(text);
        return node;
    }

    function kindLabel(kind) {
        return Object.prototype.hasOwnProperty.call(KIND_LABELS, kind) ? KIND_LABELS[kind] : 'Sonstiges Verfahren';
    }

    function kindClass(kind) {
        return Object.prototype.hasOwnProperty.call(KIND_LABELS, kind) ? 'kind-' + kind : 'kind-other';
    }

    // "2025-03-31" -> "31.03.2025"; anything else is shown as it is.
    function germanDate(value) {
        var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
        return m ? m[3] + '.' + m[2] + '.' + m[1] : String(value);
    }

    function periodText(props) {
        var hasStart = props.start !== undefined && props.start !== null && props.start !== '';
        var hasEnd = props.end !== undefined && props.end !== null && props.end !== '';
        if (hasStart && hasEnd && String(props.start) === String(props.end)) return 'am ' + germanDate(props.start);
        if (hasStart && hasEnd) return germanDate(props.start) + ' bis ' + germanDate(props.end);
        if (hasStart) return 'ab ' + germanDate(props.start) + ', bis auf Weiteres';
        if (hasEnd) return 'bis ' + germanDate(props.end);
        return 'bis auf Weiteres';
    }

    // Only absolute http(s) links are turned into anchors (no javascript:, data:, …).
    function safeUrl(value) {
        if (typeof value !== 'string' || value === '') return null;
        try {
            var url = new URL(value, window.location.href);
            if (url.protocol === 'https:' || url.protocol === 'http:') return url.href;
        } catch (e) {
            // not a URL
        }
        return null;
    }

    // A procedure's id: a property at the detail zooms, the feature id at all.
    function procedureId(feature) {
        var props = feature.properties || {};
        if (props.id !== undefined && props.id !== null) return props.id;
        return feature.id;
    }

    function procedureKey(feature) {
        return 'id:' + procedureId(feature);
    }

    // The API's procedure as the popup and list show it.
    function fromApi(p) {
        return {
            id: p.id,
            title: p.title,
            kind: p.kind,
            status: p.status,
            placement: p.placement,
            organisation: p.organisation ? p.organisation.name : null,
            start: p.start,
            end: p.end,
            url: p.url
        };
    }

    // The tiles of the overview zooms carry only kind, status and placement;
    // title, authority, dates and link are fetched for what is shown.
    function detailsOf(feature) {
        var props = feature.properties || {};
        if (props.title !== undefined) return Promise.resolve(props);
        return fetch('/api/v1/procedures/' + encodeURIComponent(String(procedureId(feature))))
            .then(function (response) {
                if (!response.ok) throw new Error('HTTP ' + response.status);
                return response.json();
            })
            .then(fromApi);
    }

    function uniqueProcedures(features) {
        var seen = Object.create(null);
        var result = [];
        for (var i = 0; i < features.length; i++) {
            var key = procedureKey(features[i]);
            if (seen[key]) continue;
            seen[key] = true;
            result.push(features[i]);
        }
        return result;
    }

    function buildPopupItem(props) {
        var item = el('article', 'pm-popup-item');
        item.setAttribute('data-procedure-id', props.id !== undefined ? String(props.id) : '');

        item.appendChild(el('h2', 'pm-popup-title', props.title || 'Beteiligungsverfahren'));

        var facts = el('dl', 'pm-popup-facts');
        function fact(label, value) {
            facts.appendChild(el('dt', null, label));
            var dd = el('dd', null, value);
            facts.appendChild(dd);
            return dd;
        }
        if (props.organisation) fact('Behörde', props.organisation).className = 'pm-popup-organisation';
        fact('Art', kindLabel(props.kind)).className = 'pm-popup-kind';
        fact('Zeitraum', periodText(props)).className = 'pm-popup-period';
        if (props.status && props.status !== 'running' && STATUS_LABELS[props.status]) {
            fact('Status', STATUS_LABELS[props.status]).className = 'pm-popup-status';
        }
        item.appendChild(facts);

        if (props.placement === 'seat') {
            item.appendChild(el('p', 'pm-popup-note',
                'Dieses Verfahren hat kein eigenes Gebiet; es wird am Sitz der Behörde gezeigt.'));
        }

        var href = safeUrl(props.url);
        if (href) {
            var link = el('a', 'pm-popup-link', 'Zur Beteiligung');
            link.href = href;
            link.target = '_blank';
            link.rel = 'noopener';
            var p = el('p', 'pm-popup-action');
            p.appendChild(link);
            item.appendChild(p);
        }
        return item;
    }

    function buildPopupContent(shown, total) {
        var root = el('div', 'pm-popup');
        for (var i = 0; i < shown.length; i++) root.appendChild(buildPopupItem(shown[i]));
        if (total > shown.length) {
            var rest = total - shown.length;
            root.appendChild(el('p', 'pm-popup-more',
                rest === 1
                    ? 'An dieser Stelle gibt es ein weiteres Verfahren. Vergrößern Sie die Karte.'
                    : 'An dieser Stelle gibt es ' + rest + ' weitere Verfahren. Vergrößern Sie die Karte.'));
        }
        return root;
    }

    function showMessage(container, text) {
        var box = el('p', 'map-message', text);
        box.setAttribute('role', 'alert');
        container.appendChild(box);
    }

    function setListStatus(text) {
        var status = document.getElementById('verfahren-status');
        if (status) status.textContent = text;
    }

    var container = document.getElementById('map');
    if (!container) return;

    if (typeof window.maplibregl === 'undefined') {
        showMessage(container, 'Die Kartenbibliothek konnte nicht geladen werden.');
        setListStatus('Die Karte ist nicht verfügbar.');
        return;
    }

    // --- Filters ------------------------------------------------------------
    var KINDS = Object.keys(KIND_LABELS);
    var STATUSES = ['running', 'upcoming', 'closed'];

    // The selection of a URL query: unknown values are dropped.
    function filterFromQuery(search) {
        var params = new URLSearchParams(search);
        var kinds = (params.get('kind') || '').split(',').filter(function (k) {
            return KINDS.indexOf(k) >= 0;
        });
        var statuses = (params.get('status') || 'running').split(',').filter(function (s) {
            return STATUSES.indexOf(s) >= 0;
        });
        var status = statuses.length === STATUSES.length ? 'all'
            : (statuses.length === 1 ? statuses[0] : 'running');
        return {kinds: kinds, status: status};
    }

    // The tile server's query for a selection ('' for the default: every
    // kind, running).
    function filterQuery(f) {
        var parts = [];
        if (f.kinds.length && f.kinds.length < KINDS.length) parts.push('kind=' + f.kinds.join(','));
        if (f.status === 'all') parts.push('status=' + STATUSES.join(','));
        else if (f.status !== 'running') parts.push('status=' + f.status);
        return parts.join('&');
    }

    var form = document.getElementById('auswahl');

    function filterFromForm() {
        var kinds = [];
        var boxes = form.querySelectorAll('input[name="kind"]');
        for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) kinds.push(boxes[i].value);
        var checked = form.querySelector('input[name="status"]:checked');
        return {kinds: kinds, status: checked ? checked.value : 'running'};
    }

    function showFilterInForm(f) {
        var boxes = form.querySelectorAll('input[name="kind"]');
        for (var i = 0; i < boxes.length; i++) {
            boxes[i].checked = !f.kinds.length || f.kinds.indexOf(boxes[i].value) >= 0;
        }
        var radio = form.querySelector('input[name="status"][value="' + f.status + '"]');
        if (radio) radio.checked = true;
    }

    var filter = filterFromQuery(window.location.search);
    var query = filterQuery(filter);
    if (form) showFilterInForm(filter);

    var maplibregl = window.maplibregl;
    var map;
    try {
        map = new maplibregl.Map({
            container: 'map',
            style: '/style.json' + (query ? '?' + query : ''),
            bounds: [[5.86, 50.32], [9.46, 52.53]],
            fitBoundsOptions: {padding: 20},
            attributionControl: {compact: true},
            locale: LOCALE,
            dragRotate: false,
            pitchWithRotate: false,
            touchPitch: false
        });
    } catch (err) {
        // Most likely no WebGL.
        console.error(err);
        showMessage(container, 'Die Karte kann in diesem Browser nicht angezeigt werden (WebGL wird nicht unterstützt).');
        setListStatus('Die Karte ist nicht verfügbar.');
        return;
    }
    window.partimapMap = map;
    window.partimapIdle = false;

    // North always up: there is no basemap to orient oneself by.
    map.touchZoomRotate.disableRotation();
    map.keyboard.disableRotation();
    map.addControl(new maplibregl.NavigationControl({showCompass: false}), 'top-right');

    var styleLoaded = false;
    map.on('style.load', function () {
        styleLoaded = true;
        if (window.partimapPatterns) window.partimapPatterns.add(map);
    });
    map.on('error', function (e) {
        // Keep MapLibre's default behaviour (without a listener) of logging the error.
        console.error(e && e.error ? e.error : e);
        if (!styleLoaded) setListStatus('Die Karte konnte nicht geladen werden.');
    });

    function availableProcedureLayers() {
        var layers = [];
        for (var i = 0; i < PROCEDURE_LAYERS.length; i++) {
            if (map.getLayer(PROCEDURE_LAYERS[i])) layers.push(PROCEDURE_LAYERS[i]);
        }
        return layers;
    }

    function proceduresAt(point) {
        var layers = availableProcedureLayers();
        if (!layers.length) return [];
        var box = [
            [point.x - HIT_TOLERANCE, point.y - HIT_TOLERANCE],
            [point.x + HIT_TOLERANCE, point.y + HIT_TOLERANCE]
        ];
        // Topmost first: points above areas, smaller areas (drawn later) above larger ones.
        return uniqueProcedures(map.queryRenderedFeatures(box, {layers: layers}));
    }

    // --- Popup -------------------------------------------------------------
    var popup = null;

    function closePopup() {
        if (popup) {
            popup.remove();
            popup = null;
        }
    }

    var popupRequest = 0;

    function openPopup(lngLat, features) {
        closePopup();
        var request = ++popupRequest;
        var shown = features.slice(0, MAX_POPUP_ITEMS);
        Promise.all(shown.map(detailsOf)).then(function (details) {
            return buildPopupContent(details, features.length);
        }, function (err) {
            console.warn('procedure details could not be loaded', err);
            return el('p', 'pm-popup-note', 'Die Angaben zu diesem Verfahren konnten nicht geladen werden.');
        }).then(function (content) {
            // A later click wins.
            if (request !== popupRequest) return;
            popup = new maplibregl.Popup({maxWidth: '320px', focusAfterOpen: true})
                .setLngLat(lngLat)
                .setDOMContent(content)
                .addTo(map);
            popup.on('close', function () {
                popup = null;
            });
        });
    }

    map.on('click', function (e) {
        var features = proceduresAt(e.point);
        if (!features.length) {
            popupRequest++;
            closePopup();
            return;
        }
        openPopup(e.lngLat, features);
    });

    document.addEventListener('keydown', function (e) {
        if (e.key === 'Escape' && popup) {
            closePopup();
            map.getCanvas().focus();
        }
    });

    // --- Hover: pointer cursor and highlight --------------------------------
    var hovered = null;

    function setHover(feature) {
        var next = feature && feature.id !== undefined && feature.id !== null
            ? {source: SOURCE_ID, sourceLayer: PROCEDURE_SOURCE_LAYER, id: feature.id}
            : null;
        if (hovered && next && hovered.id === next.id) return;
        if (hovered) {
            map.setFeatureState(hovered, {hover: false});
        }
        hovered = next;
        if (hovered) {
            map.setFeatureState(hovered, {hover: true});
        }
    }

    map.on('mousemove', function (e) {
        var features = proceduresAt(e.point);
        map.getCanvas().style.cursor = features.length ? 'pointer' : '';
        setHover(features.length ? features[0] : null);
    });

    map.on('mouseout', function () {
        map.getCanvas().style.cursor = '';
        setHover(null);
    });

    // --- List of the procedures in view (for keyboard and screen-reader users)
    var lastListKey = null;

    // The list asks the API for the procedures in view, with the map's own
    // filter: the same selection the tiles draw, sorted by title.
    var listRequest = 0;

    function showList(answer) {
        var list = document.getElementById('verfahren-liste');
        var items = answer.items || [];
        var key = items.map(function (p) { return p.id; }).join(',') + '|' + answer.total;
        if (key === lastListKey) return;
        lastListKey = key;

        while (list.firstChild) list.removeChild(list.firstChild);
        if (!items.length) {
            setListStatus('Im aktuellen Kartenausschnitt gibt es keine Verfahren dieser Auswahl.');
            return;
        }
        setListStatus(answer.total > items.length
            ? answer.total + ' Verfahren; die ersten ' + items.length + ' werden angezeigt. Vergrößern Sie die Karte, um die Auswahl einzugrenzen.'
            : (items.length === 1 ? '1 Verfahren' : items.length + ' Verfahren'));
        for (var i = 0; i < items.length; i++) {
            var props = fromApi(items[i]);
            var li = el('li');
            var swatch = el('span', 'swatch ' + kindClass(props.kind));
            swatch.setAttribute('aria-hidden', 'true');
            li.appendChild(swatch);
            var body = el('span', 'procedure-entry');
            var title = props.title || 'Beteiligungsverfahren';
            var href = safeUrl(props.url);
            if (href) {
                var link = el('a', null, title);
                link.href = href;
                link.target = '_blank';
                link.rel = 'noopener';
                body.appendChild(link);
            } else {
                body.appendChild(el('span', null, title));
            }
            var details = [kindLabel(props.kind)];
            if (props.organisation) details.push(String(props.organisation));
            details.push(periodText(props));
            body.appendChild(el('span', 'org', details.join(' · ')));
            li.appendChild(body);
            list.appendChild(li);
        }
    }

    function updateList() {
        var list = document.getElementById('verfahren-liste');
        if (!list) return;
        var b = map.getBounds();
        var clamp = function (v, lo, hi) { return Math.min(hi, Math.max(lo, v)); };
        var bbox = [
            clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85),
            clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)
        ].map(function (v) { return v.toFixed(5); }).join(',');
        var request = ++listRequest;
        var listQuery = query;
        fetch('/api/v1/procedures?bbox=' + bbox + '&limit=' + MAX_LIST_ITEMS + (listQuery ? '&' + listQuery : ''))
            .then(function (response) {
                if (!response.ok) throw new Error('HTTP ' + response.status);
                return response.json();
            })
            .then(function (answer) {
                if (request !== listRequest) return;
                showList(answer);
                window.partimapListQuery = listQuery;
            }, function (err) {
                console.warn('the list could not be loaded', err);
                if (request === listRequest) setListStatus('Die Liste konnte nicht geladen werden.');
            });
    }

    map.on('idle', function () {
        window.partimapIdle = true;
        updateList();
    });

    if (form) {
        form.addEventListener('submit', function (e) {
            e.preventDefault();
        });
        form.addEventListener('change', function () {
            filter = filterFromForm();
            query = filterQuery(filter);
            window.history.replaceState(null, '', window.location.pathname + (query ? '?' + query : '') + window.location.hash);
            closePopup();
            var source = map.getSource(SOURCE_ID);
            if (source && source.setUrl) {
                source.setUrl(new URL('/tiles.json' + (query ? '?' + query : ''), window.location.href).href);
            }
            lastListKey = null;
            updateList();
        });
    }
}());
