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

    var I18N = window.partimapI18n || {
        lang: 'de',
        t: function (text, vars) {
            return vars ? text.replace(/\{(\w+)\}/g, function (w, n) { return n in vars ? String(vars[n]) : w; }) : text;
        },
        mapLocale: function () { return {}; },
        withLang: function (url) { return url; }
    };
    var t = I18N.t;

    function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) node.className = className;
        if (text !== undefined && text !== null) node.textContent = String(text);
        return node;
    }

    function kindLabel(kind) {
        return t(Object.prototype.hasOwnProperty.call(KIND_LABELS, kind) ? KIND_LABELS[kind] : 'Sonstiges Verfahren');
    }

    function kindClass(kind) {
        return Object.prototype.hasOwnProperty.call(KIND_LABELS, kind) ? 'kind-' + kind : 'kind-other';
    }

    // "2025-03-31" -> "31.03.2025" (German) or "31 Mar 2025" (English);
    // anything else is shown as it is.
    var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    function localDate(value) {
        var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
        if (!m) return String(value);
        if (I18N.lang === 'en') return Number(m[3]) + ' ' + MONTHS[Number(m[2]) - 1] + ' ' + m[1];
        return m[3] + '.' + m[2] + '.' + m[1];
    }

    function periodText(props) {
        var hasStart = props.start !== undefined && props.start !== null && props.start !== '';
        var hasEnd = props.end !== undefined && props.end !== null && props.end !== '';
        if (hasStart && hasEnd && String(props.start) === String(props.end)) return t('am {date}', {date: localDate(props.start)});
        if (hasStart && hasEnd) return t('{start} bis {end}', {start: localDate(props.start), end: localDate(props.end)});
        if (hasStart) return t('ab {date}, bis auf Weiteres', {date: localDate(props.start)});
        if (hasEnd) return t('bis {date}', {date: localDate(props.end)});
        return t('bis auf Weiteres');
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

        item.appendChild(el('h2', 'pm-popup-title', props.title || t('Beteiligungsverfahren')));

        var facts = el('dl', 'pm-popup-facts');
        function fact(label, value) {
            facts.appendChild(el('dt', null, t(label)));
            var dd = el('dd', null, value);
            facts.appendChild(dd);
            return dd;
        }
        if (props.organisation) fact('Behörde', props.organisation).className = 'pm-popup-organisation';
        fact('Art', kindLabel(props.kind)).className = 'pm-popup-kind';
        fact('Zeitraum', periodText(props)).className = 'pm-popup-period';
        if (props.status && props.status !== 'running' && STATUS_LABELS[props.status]) {
            fact('Status', t(STATUS_LABELS[props.status])).className = 'pm-popup-status';
        }
        item.appendChild(facts);

        if (props.placement === 'seat') {
            item.appendChild(el('p', 'pm-popup-note',
                t('Dieses Verfahren hat kein eigenes Gebiet; es wird am Sitz der Behörde gezeigt.')));
        }

        var href = safeUrl(props.url);
        if (href) {
            var link = el('a', 'pm-popup-link', t('Zur Beteiligung'));
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
                    ? t('An dieser Stelle gibt es ein weiteres Verfahren. Vergrößern Sie die Karte.')
                    : t('An dieser Stelle gibt es {n} weitere Verfahren. Vergrößern Sie die Karte.', {n: rest})));
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
        showMessage(container, t('Die Kartenbibliothek konnte nicht geladen werden.'));
        setListStatus(t('Die Karte ist nicht verfügbar.'));
        return;
    }

    // --- Filters ------------------------------------------------------------
    var KINDS = Object.keys(KIND_LABELS);
    var STATUSES = ['running', 'upcoming', 'closed'];

    // Whether a text is a day of the calendar written YYYY-MM-DD.
    function validDate(value) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
        var d = new Date(value + 'T00:00:00Z');
        return !isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
    }

    // The selection of a URL query: unknown values are dropped (the
    // organisation is checked once the authorities are loaded).
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
        var from = params.get('from') || '';
        var until = params.get('until') || '';
        if (!validDate(from)) from = '';
        if (!validDate(until)) until = '';
        if (from && until && from > until) {
            from = '';
            until = '';
        }
        return {kinds: kinds, status: status, organisation: params.get('organisation') || '', from: from, until: until};
    }

    // The tile server's query for a selection ('' for the default: every
    // kind, running, every authority, any time).
    function filterQuery(f) {
        var parts = [];
        if (f.kinds.length && f.kinds.length < KINDS.length) parts.push('kind=' + f.kinds.join(','));
        if (f.status === 'all') parts.push('status=' + STATUSES.join(','));
        else if (f.status !== 'running') parts.push('status=' + f.status);
        if (f.organisation) parts.push('organisation=' + encodeURIComponent(f.organisation));
        if (f.from) parts.push('from=' + f.from);
        if (f.until) parts.push('until=' + f.until);
        return parts.join('&');
    }

    // The page's own query: the selection and the language.
    function pageQuery(q) {
        var withLang = I18N.lang === 'de' ? q : (q ? q + '&' : '') + 'lang=' + I18N.lang;
        return withLang ? '?' + withLang : '';
    }

    // The switch to the other language keeps the selection.
    function showLanguageSwitch(q) {
        var link = document.getElementById('sprache');
        if (!link) return;
        var other = I18N.lang === 'de' ? 'en' : 'de';
        var otherQuery = other === 'de' ? q : (q ? q + '&' : '') + 'lang=en';
        link.href = window.location.pathname + (otherQuery ? '?' + otherQuery : '');
        link.hreflang = other;
        link.lang = other;
        link.textContent = other === 'en' ? 'English' : 'Deutsch';
    }

    var form = document.getElementById('auswahl');
    var authorityInput = document.getElementById('behoerde');
    var authorityNote = document.getElementById('behoerde-hinweis');
    var fromInput = document.getElementById('von');
    var untilInput = document.getElementById('bis');
    var windowError = document.getElementById('zeitraum-fehler');
    // The authorities {key, name, parent}, sorted by name, once loaded.
    var organisations = [];

    function organisationByKey(key) {
        for (var i = 0; i < organisations.length; i++) {
            if (organisations[i].key === key || String(organisations[i].id) === key) return organisations[i];
        }
        return null;
    }

    function showAuthority(key) {
        var o = key ? organisationByKey(key) : null;
        authorityInput.value = o ? o.name : '';
        authorityInput.removeAttribute('aria-invalid');
        authorityNote.textContent = o ? t('Gezeigt: Verfahren von {name} und ihren nachgeordneten Stellen.', {name: o.name}) : '';
    }

    function filterFromForm() {
        var kinds = [];
        var boxes = form.querySelectorAll('input[name="kind"]');
        for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) kinds.push(boxes[i].value);
        var checked = form.querySelector('input[name="status"]:checked');
        return {
            kinds: kinds,
            status: checked ? checked.value : 'running',
            organisation: filter.organisation,
            from: filter.from,
            until: filter.until
        };
    }

    function showFilterInForm(f) {
        var boxes = form.querySelectorAll('input[name="kind"]');
        for (var i = 0; i < boxes.length; i++) {
            boxes[i].checked = !f.kinds.length || f.kinds.indexOf(boxes[i].value) >= 0;
        }
        var radio = form.querySelector('input[name="status"][value="' + f.status + '"]');
        if (radio) radio.checked = true;
        fromInput.value = f.from;
        untilInput.value = f.until;
    }

    // The time window of the date fields, or an error (the window shown
    // stays as it was).
    function windowFromForm() {
        var from = fromInput.value;
        var until = untilInput.value;
        fromInput.removeAttribute('aria-invalid');
        untilInput.removeAttribute('aria-invalid');
        windowError.textContent = '';
        var bad = null;
        if (from && !validDate(from)) bad = fromInput;
        else if (until && !validDate(until)) bad = untilInput;
        if (bad) {
            bad.setAttribute('aria-invalid', 'true');
            windowError.textContent = t('Bitte ein Datum wie 2027-02-01 angeben.');
            return null;
        }
        if (from && until && from > until) {
            untilInput.setAttribute('aria-invalid', 'true');
            windowError.textContent = t('Der Zeitraum endet vor seinem Beginn.');
            return null;
        }
        return {from: from, until: until};
    }

    // The authority typed or picked: an exact name, else the one the
    // search finds; several or none are said at the field.
    function resolveAuthority(text) {
        text = text.trim();
        if (!text) return Promise.resolve({key: ''});
        for (var i = 0; i < organisations.length; i++) {
            if (organisations[i].name.toLowerCase() === text.toLowerCase()) {
                return Promise.resolve({key: organisations[i].key});
            }
        }
        return fetch('/api/v1/organisations?q=' + encodeURIComponent(text)).then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.json();
        }).then(function (answer) {
            var items = answer.items || [];
            if (items.length === 1) return {key: items[0].key};
            if (!items.length) return {error: t('Keine Behörde heißt „{text}“.', {text: text})};
            return {error: t('Zu „{text}“ passen {n} Behörden; bitte wählen Sie eine aus der Liste.', {text: text, n: items.length})};
        });
    }

    var filter = filterFromQuery(window.location.search);
    var query = filterQuery(filter);
    if (form) showFilterInForm(filter);
    showLanguageSwitch(query);

    var organisationsLoaded = fetch('/api/v1/organisations').then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
    }).then(function (answer) {
        organisations = answer.items || [];
        var list = document.getElementById('behoerden');
        for (var i = 0; i < organisations.length; i++) {
            var option = document.createElement('option');
            option.value = organisations[i].name;
            list.appendChild(option);
        }
        if (filter.organisation && !organisationByKey(filter.organisation)) {
            authorityNote.textContent = t('Keine Behörde heißt „{text}“.', {text: filter.organisation});
            filter.organisation = '';
            query = filterQuery(filter);
            window.history.replaceState(null, '', window.location.pathname + pageQuery(query) + window.location.hash);
            showLanguageSwitch(query);
        } else {
            showAuthority(filter.organisation);
        }
    }, function (err) {
        console.warn('the authorities could not be loaded', err);
        authorityNote.textContent = t('Die Behörden konnten nicht geladen werden.');
        filter.organisation = '';
        query = filterQuery(filter);
    });

    organisationsLoaded.then(startMap);

    function startMap() {
    var maplibregl = window.maplibregl;
    var map;
    try {
        map = new maplibregl.Map({
            container: 'map',
            style: '/style.json' + (query ? '?' + query : ''),
            bounds: [[5.86, 50.32], [9.46, 52.53]],
            fitBoundsOptions: {padding: 20},
            attributionControl: {compact: true},
            locale: I18N.mapLocale('Karte der Beteiligungsverfahren. Mit den Pfeiltasten verschieben, mit Plus und Minus vergrößern oder verkleinern, mit der Eingabetaste die Verfahren in der Kartenmitte zeigen.'),
            dragRotate: false,
            pitchWithRotate: false,
            touchPitch: false
        });
        if (window.partimapBasemap) window.partimapBasemap.attach(map);
        if (window.partimapClusters) window.partimapClusters.attach(map, t, I18N.lang);
    } catch (err) {
        // Most likely no WebGL.
        console.error(err);
        showMessage(container, t('Die Karte kann in diesem Browser nicht angezeigt werden (WebGL wird nicht unterstützt).'));
        setListStatus(t('Die Karte ist nicht verfügbar.'));
        return;
    }
    window.partimapMap = map;
    window.partimapIdle = false;

    // North always up: the plain ground (and most basemaps) give nothing
    // to orient a turned map by.
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
        if (!styleLoaded) setListStatus(t('Die Karte konnte nicht geladen werden.'));
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
            return el('p', 'pm-popup-note', t('Die Angaben zu diesem Verfahren konnten nicht geladen werden.'));
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
        if (window.partimapClusters && window.partimapClusters.isCount(e.originalEvent && e.originalEvent.target)) return;
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

    // Keyboard: with the map focused, the arrow keys move it (MapLibre) and
    // Enter opens the popup of the procedures under the cross in its
    // middle, so a procedure is reached without a pointer.
    var KEYBOARD_TOLERANCE = 12;
    var crossNote = document.getElementById('karte-mitte');
    map.getCanvas().addEventListener('keydown', function (e) {
        if (e.key !== 'Enter' || e.altKey || e.ctrlKey || e.metaKey) return;
        e.preventDefault();
        var centre = map.project(map.getCenter());
        var layers = availableProcedureLayers();
        var box = [
            [centre.x - KEYBOARD_TOLERANCE, centre.y - KEYBOARD_TOLERANCE],
            [centre.x + KEYBOARD_TOLERANCE, centre.y + KEYBOARD_TOLERANCE]
        ];
        var features = layers.length ? uniqueProcedures(map.queryRenderedFeatures(box, {layers: layers})) : [];
        if (!features.length) {
            if (crossNote) crossNote.textContent = t('In der Kartenmitte liegt kein Verfahren. Verschieben Sie die Karte mit den Pfeiltasten.');
            return;
        }
        if (crossNote) crossNote.textContent = '';
        openPopup(map.getCenter(), features);
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
            setListStatus(t('Im aktuellen Kartenausschnitt gibt es keine Verfahren dieser Auswahl.'));
            return;
        }
        setListStatus(answer.total > items.length
            ? t('{total} Verfahren; die ersten {n} werden angezeigt. Vergrößern Sie die Karte, um die Auswahl einzugrenzen.', {total: answer.total, n: items.length})
            : (items.length === 1 ? t('1 Verfahren') : t('{n} Verfahren', {n: items.length})));
        for (var i = 0; i < items.length; i++) {
            var props = fromApi(items[i]);
            var li = el('li');
            var swatch = el('span', 'swatch ' + kindClass(props.kind));
            swatch.setAttribute('aria-hidden', 'true');
            li.appendChild(swatch);
            var body = el('span', 'procedure-entry');
            var title = props.title || t('Beteiligungsverfahren');
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
                if (request === listRequest) setListStatus(t('Die Liste konnte nicht geladen werden.'));
            });
    }

    map.on('idle', function () {
        window.partimapIdle = true;
        updateList();
    });

    // The map shows the selected authority's procedures (NRW when none
    // is selected or it has none in the selection).
    function fitToSelection() {
        var bounds = filter.organisation ? null : [5.86, 50.32, 9.46, 52.53];
        var fitted = bounds ? Promise.resolve(bounds)
            : fetch('/tiles.json' + (query ? '?' + query : '')).then(function (r) {
                if (!r.ok) throw new Error('HTTP ' + r.status);
                return r.json();
            }).then(function (tilejson) { return tilejson.bounds; });
        fitted.then(function (b) {
            map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: 20, maxZoom: 12, duration: 0});
        }, function (err) {
            console.warn('the bounds could not be loaded', err);
        });
    }
    if (filter.organisation) fitToSelection();

    // The selection changed: page URL, language switch, tiles and list.
    function applyFilter() {
        var before = filter.organisation;
        query = filterQuery(filter);
        window.history.replaceState(null, '', window.location.pathname + pageQuery(query) + window.location.hash);
        showLanguageSwitch(query);
        closePopup();
        var source = map.getSource(SOURCE_ID);
        if (source && source.setUrl) {
            source.setUrl(new URL('/tiles.json' + (query ? '?' + query : ''), window.location.href).href);
        }
        lastListKey = null;
        updateList();
        return before;
    }

    if (form) {
        form.addEventListener('submit', function (e) {
            e.preventDefault();
        });
        var authorityChange = function () {
            var typed = authorityInput.value;
            resolveAuthority(typed).then(function (found) {
                // A later change wins.
                if (authorityInput.value !== typed) return;
                if (found.error) {
                    authorityInput.setAttribute('aria-invalid', 'true');
                    authorityNote.textContent = found.error;
                    return;
                }
                var changed = found.key !== filter.organisation;
                filter.organisation = found.key;
                showAuthority(found.key);
                if (changed) {
                    applyFilter();
                    fitToSelection();
                }
            }, function (err) {
                console.warn('the authority search failed', err);
                authorityNote.textContent = t('Die Behörden konnten nicht geladen werden.');
            });
        };
        // A name picked from the list (or the field cleared) applies at
        // once; anything else typed when the field is left or Enter pressed.
        authorityInput.addEventListener('input', function () {
            var text = authorityInput.value.trim().toLowerCase();
            var exact = !text || organisations.some(function (o) { return o.name.toLowerCase() === text; });
            if (exact) authorityChange();
        });
        authorityInput.addEventListener('keydown', function (e) {
            if (e.key === 'Enter') authorityChange();
        });
        form.addEventListener('change', function (e) {
            if (e.target === authorityInput) {
                authorityChange();
                return;
            }
            if (e.target === fromInput || e.target === untilInput) {
                var w = windowFromForm();
                if (!w) return;
                filter.from = w.from;
                filter.until = w.until;
                applyFilter();
                return;
            }
            filter = filterFromForm();
            applyFilter();
        });
    }
    }
}());
