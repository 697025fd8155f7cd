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
// The defect reporter (a running "reporting" procedure): a marker set by a
// tap or click on the map, by the button "Ort in die Kartenmitte setzen"
// (keyboard) or by typing coordinates, dragged to correct; a category of
// the procedure (its Open311 services), a description, an optional e-mail.
// Sent to POST /api/v1/procedures/{id}/reports; a likely duplicate (409)
// is shown with its distance and can be sent anyway ("insist"), the API's
// problems (422) are shown at their fields, every other error with its
// text. After a 201 the map reloads its tiles and moves to the report, and
// "partimap:report-submitted" goes to the host page.
//
// Security: texts from the API are put into the page with textContent only.
// Tests use window.partimapMap, window.partimapIdle,
// window.partimapHostOrigin, window.partimapLastReport (the last 201's
// report) and window.partimapNearby (the nearby reports last listed:
// [{id, distance}]).
(function () {
    'use strict';

    var match = /\/embed\/procedures\/(\d+)\/?$/.exec(window.location.pathname);
    if (!match) return;
    var id = match[1];
    // Every status: a portal embeds its procedure before and after it runs.
    var query = 'procedure=' + id + '&status=upcoming,running,closed';
    var SOURCE_ID = 'partimap';
    var I18N = window.partimapI18n || {
        lang: 'de',
        t: function (text, vars) {
            return vars ? text.replace(/\{(\w+)\}/g, function (w, n) { return n in vars ? String(vars[n]) : w; }) : text;
        },
        mapLocale: function () { return {}; }
    };
    var t = I18N.t;

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

    // The page's height, for a host that lets the frame follow it
    // (embed-loader.js); sent again whenever it changes.
    var lastHeight = 0;
    function tellHeight() {
        var h = Math.ceil(document.documentElement.scrollHeight);
        if (h === lastHeight) return;
        lastHeight = h;
        tell('partimap:resize', {height: h});
    }
    if (host && window.ResizeObserver) {
        new ResizeObserver(function () { if (lastHeight) tellHeight(); }).observe(document.body);
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
        var page = new URL(window.location.pathname, window.location.href);
        if (I18N.lang !== 'de') page.searchParams.set('lang', I18N.lang);
        var frameTitle = t('Karte: {title}', {title: title});
        code.value = '<iframe src="' + attribute(page.href) + '" title="' + attribute(frameTitle) +
            '" loading="lazy" width="100%" height="480" style="border:0"></iframe>';
        // The optional script: it puts the same iframe into the element,
        // lets its height follow the content and turns the map's messages
        // into DOM events on the element (embed-loader.js).
        var script = document.getElementById('embed-code-skript');
        if (script) {
            script.value = '<div data-partimap-procedure="' + attribute(id) + '" data-title="' + attribute(frameTitle) +
                '"' + (I18N.lang !== 'de' ? ' data-lang="' + attribute(I18N.lang) + '"' : '') + '></div>\n' +
                '<script src="' + attribute(new URL('/assets/embed-loader.js', window.location.href).href) +
                '" async></' + 'script>';
        }
        details.hidden = false;
    }

    // A click on a cluster's count button zooms in; it neither selects nor
    // places anything.
    function onCount(e) {
        return !!(window.partimapClusters && window.partimapClusters.isCount(e.originalEvent && e.originalEvent.target));
    }

    var maplibregl = window.maplibregl;
    var container = document.getElementById('map');
    if (!container || typeof maplibregl === 'undefined') {
        setStatus(t('Die Kartenbibliothek konnte nicht geladen werden.'));
        return;
    }

    var procedureInfo = fetch('/api/v1/procedures/' + id).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
    });
    procedureInfo.then(function (p) {
        var title = p.title || t('Beteiligungsverfahren');
        document.title = t('Karte: {title}', {title: title});
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
            locale: I18N.mapLocale('Karte des Verfahrens. Mit den Pfeiltasten verschieben, mit Plus und Minus vergrößern oder verkleinern.')
        });
        if (window.partimapBasemap) window.partimapBasemap.attach(map);
        if (window.partimapClusters) window.partimapClusters.attach(map, t, I18N.lang);
        window.partimapMap = map;
        window.partimapIdle = false;
        map.on('style.load', function () {
            if (window.partimapPatterns) window.partimapPatterns.add(map);
        });
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
                tellHeight();
            }
        });
        procedureInfo.then(function (p) {
            if (p.kind === 'reporting' && p.status === 'running') reporter(map);
        }, function () {});
        map.on('click', function (e) {
            if (onCount(e)) return;
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
        setStatus(t('Die Karte konnte nicht geladen werden.'));
    });

    // --- The defect reporter ----------------------------------------------
    // How far around the place reports of the same category are shown
    // before sending (the API's duplicate rule looks 50 m around).
    var NEARBY_M = 100;
    var FIELD_MESSAGES = {
        '/location': 'Der Ort liegt nicht im Gebiet dieses Mängelmelders. Bitte setzen Sie ihn auf der Karte.',
        '/category': 'Bitte wählen Sie eine Kategorie.',
        '/description': 'Bitte beschreiben Sie den Mangel (höchstens 4.000 Zeichen).',
        '/contact_email': 'Diese E-Mail-Adresse scheint nicht zu stimmen.'
    };

    function reporter(map) {
        var form = document.getElementById('melden');
        if (!form) return;
        var lon = document.getElementById('melden-lon');
        var lat = document.getElementById('melden-lat');
        var category = document.getElementById('melden-kategorie');
        var description = document.getElementById('melden-beschreibung');
        var email = document.getElementById('melden-email');
        var notice = document.getElementById('melden-hinweis');
        var insistButton = document.getElementById('melden-trotzdem');
        var sendButton = document.getElementById('melden-senden');
        var marker = null;

        fetch('/open311/v2/services.json?jurisdiction_id=' + id).then(function (r) {
            if (!r.ok) throw new Error('HTTP ' + r.status);
            return r.json();
        }).then(function (services) {
            for (var i = 0; i < services.length; i++) {
                var option = document.createElement('option');
                option.value = services[i].service_code;
                option.textContent = services[i].service_name || services[i].service_code;
                category.appendChild(option);
            }
            form.hidden = false;
        }, function (err) {
            console.warn('the categories could not be loaded', err);
        });

        function place(lngLat) {
            if (!marker) {
                marker = new maplibregl.Marker({draggable: true, color: '#1d4ed8', className: 'report-marker'}).setLngLat(lngLat).addTo(map);
                marker.getElement().setAttribute('aria-label', t('Ort der Meldung'));
                marker.on('dragend', function () {
                    show(marker.getLngLat());
                    nearby();
                });
            } else {
                marker.setLngLat(lngLat);
            }
            show(marker.getLngLat());
            nearby();
        }

        function show(lngLat) {
            lon.value = lngLat.lng.toFixed(6);
            lat.value = lngLat.lat.toFixed(6);
        }

        // Before sending: the public reports of the chosen category within
        // NEARBY_M of the place (OGC API – Features, the map's filters), so
        // that a citizen sees a defect is known before reporting it again.
        var nearbyBox = document.getElementById('melden-naehe');
        var nearbyTitle = document.getElementById('melden-naehe-titel');
        var nearbyList = document.getElementById('melden-naehe-liste');
        var nearbyRequest = 0;
        function metres(a, b) {
            var rad = Math.PI / 180;
            var x = (b.lng - a.lng) * rad * Math.cos((a.lat + b.lat) / 2 * rad);
            var y = (b.lat - a.lat) * rad;
            return Math.sqrt(x * x + y * y) * 6371008.8;
        }
        function nearby() {
            var request = ++nearbyRequest;
            if (!marker || !category.value) {
                nearbyBox.hidden = true;
                return;
            }
            var at = marker.getLngLat();
            var dLat = NEARBY_M / 111320;
            var dLon = dLat / Math.cos(at.lat * Math.PI / 180);
            var bbox = [at.lng - dLon, at.lat - dLat, at.lng + dLon, at.lat + dLat]
                .map(function (v) { return v.toFixed(6); }).join(',');
            fetch('/ogc/collections/reports/items?f=json&limit=50&procedure=' + id +
                '&category=' + encodeURIComponent(category.value) + '&bbox=' + bbox).then(function (r) {
                if (!r.ok) throw new Error('HTTP ' + r.status);
                return r.json();
            }).then(function (answer) {
                if (request !== nearbyRequest) return;
                var found = (answer.features || []).map(function (f) {
                    var c = f.geometry.coordinates;
                    return {id: f.id, d: metres(at, {lng: c[0], lat: c[1]}), props: f.properties || {}};
                }).filter(function (r) { return r.d <= NEARBY_M; })
                    .sort(function (a, b) { return a.d - b.d; }).slice(0, 5);
                while (nearbyList.firstChild) nearbyList.removeChild(nearbyList.firstChild);
                var label = category.options[category.selectedIndex] ? category.options[category.selectedIndex].textContent : category.value;
                if (!found.length) {
                    nearbyTitle.textContent = t('In der Nähe ist in dieser Kategorie noch nichts gemeldet.');
                } else {
                    nearbyTitle.textContent = t('In der Nähe gemeldet ({category}):', {category: label});
                    for (var i = 0; i < found.length; i++) {
                        var li = document.createElement('li');
                        li.textContent = (found[i].props.description ? '„' + found[i].props.description + '“' : t('ohne Beschreibung')) +
                            ' – ' + t('{d} m entfernt', {d: Math.round(found[i].d)});
                        nearbyList.appendChild(li);
                    }
                }
                nearbyBox.hidden = false;
                window.partimapNearby = found.map(function (r) { return {id: r.id, distance: Math.round(r.d)}; });
            }, function (err) {
                console.warn('nearby reports could not be loaded', err);
            });
        }
        category.addEventListener('change', nearby);

        function typed() {
            var x = Number(lon.value.replace(',', '.'));
            var y = Number(lat.value.replace(',', '.'));
            if (lon.value !== '' && lat.value !== '' && isFinite(x) && isFinite(y) &&
                Math.abs(x) <= 180 && Math.abs(y) <= 90) {
                place({lng: x, lat: y});
            }
        }
        lon.addEventListener('change', typed);
        lat.addEventListener('change', typed);

        // The address search, when the server names one (the style's
        // metadata "partimap:geocoder"; the browser asks it directly, as it
        // asks a configured basemap). Nominatim's JSON ([{display_name,
        // lat, lon}]) and GeoJSON answers (Photon, BKG) are read; a hit
        // chosen places the marker there.
        var withStyle = function () {
            var geocoder = ((map.getStyle() || {}).metadata || {})['partimap:geocoder'];
            if (typeof geocoder === 'string' && /^https?:\/\//.test(geocoder)) address(geocoder);
        };
        // The style may or may not have arrived yet.
        var loaded = null;
        try {
            loaded = map.getStyle();
        } catch (e) {
            loaded = null;
        }
        if (loaded && loaded.layers && loaded.layers.length) withStyle();
        else map.once('style.load', withStyle);

        map.on('click', function (e) {
            if (onCount(e)) return;
            place(e.lngLat);
        });
        document.getElementById('melden-mitte').addEventListener('click', function () {
            place(map.getCenter());
        });

        function address(template) {
            var row = document.getElementById('melden-adresse-zeile');
            var input = document.getElementById('melden-adresse');
            var note = document.getElementById('melden-adresse-hinweis');
            var results = document.getElementById('melden-adresse-treffer');
            row.hidden = false;
            var request = 0;
            function searchUrl(text) {
                if (/\{query\}|%7Bquery%7D/i.test(template)) {
                    return template.replace(/\{query\}|%7Bquery%7D/gi, encodeURIComponent(text));
                }
                var url = new URL(template);
                url.searchParams.set('q', text);
                if (!url.searchParams.has('format')) url.searchParams.set('format', 'jsonv2');
                if (!url.searchParams.has('limit')) url.searchParams.set('limit', '5');
                var b = map.getBounds();
                url.searchParams.set('viewbox', [b.getWest(), b.getNorth(), b.getEast(), b.getSouth()]
                    .map(function (v) { return v.toFixed(5); }).join(','));
                return url.href;
            }
            function hits(answer) {
                var list = Array.isArray(answer) ? answer : (answer && Array.isArray(answer.features) ? answer.features : []);
                return list.map(function (h) {
                    if (h && h.geometry && h.geometry.type === 'Point') {
                        var p = h.properties || {};
                        var label = p.label || p.display_name || [p.name, [p.street, p.housenumber].filter(Boolean).join(' '),
                            [p.postcode, p.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
                        return {label: label, lng: Number(h.geometry.coordinates[0]), lat: Number(h.geometry.coordinates[1])};
                    }
                    return {label: h && h.display_name, lng: Number(h && h.lon), lat: Number(h && h.lat)};
                }).filter(function (h) {
                    return h.label && isFinite(h.lng) && isFinite(h.lat) && Math.abs(h.lng) <= 180 && Math.abs(h.lat) <= 90;
                }).slice(0, 5);
            }
            function search() {
                var text = input.value.trim();
                while (results.firstChild) results.removeChild(results.firstChild);
                if (!text) {
                    note.textContent = t('Bitte geben Sie eine Adresse ein.');
                    return;
                }
                var mine = ++request;
                note.textContent = t('Die Adresse wird gesucht …');
                fetch(searchUrl(text), {headers: {Accept: 'application/json'}}).then(function (r) {
                    if (!r.ok) throw new Error('HTTP ' + r.status);
                    return r.json();
                }).then(function (answer) {
                    if (mine !== request) return;
                    var found = hits(answer);
                    note.textContent = found.length
                        ? t('{n} Treffer – wählen Sie einen, um den Ort zu setzen:', {n: found.length})
                        : t('Keine Adresse gefunden. Setzen Sie den Ort auf der Karte.');
                    found.forEach(function (h) {
                        var li = document.createElement('li');
                        var button = document.createElement('button');
                        button.type = 'button';
                        button.textContent = h.label;
                        button.addEventListener('click', function () {
                            place({lng: h.lng, lat: h.lat});
                            map.easeTo({center: [h.lng, h.lat], zoom: Math.max(map.getZoom(), 17)});
                            note.textContent = t('Ort gesetzt: {label}. Ziehen Sie die Markierung, um ihn zu korrigieren.', {label: h.label});
                            while (results.firstChild) results.removeChild(results.firstChild);
                        });
                        li.appendChild(button);
                        results.appendChild(li);
                    });
                }, function (err) {
                    if (mine !== request) return;
                    console.warn('the address search failed', err);
                    note.textContent = t('Die Adresssuche ist gerade nicht erreichbar. Setzen Sie den Ort auf der Karte.');
                });
            }
            document.getElementById('melden-adresse-suchen').addEventListener('click', search);
            input.addEventListener('keydown', function (e) {
                if (e.key === 'Enter') {
                    e.preventDefault();
                    search();
                }
            });
        }

        function clearErrors() {
            var errors = form.querySelectorAll('.field-error');
            for (var i = 0; i < errors.length; i++) errors[i].textContent = '';
            var fields = form.querySelectorAll('[aria-invalid]');
            for (var j = 0; j < fields.length; j++) fields[j].removeAttribute('aria-invalid');
            notice.textContent = '';
            insistButton.hidden = true;
        }

        function fieldError(pointer, text) {
            var target = form.querySelector('.field-error[data-pointer="' + pointer + '"]');
            if (!target) return false;
            target.textContent = text;
            var input = form.querySelector('[aria-describedby="' + target.id + '"]');
            if (input) input.setAttribute('aria-invalid', 'true');
            return true;
        }

        function send(insist) {
            clearErrors();
            if (!marker) {
                fieldError('/location', t('Bitte setzen Sie zuerst den Ort auf der Karte.'));
                return;
            }
            var at = marker.getLngLat();
            var body = {
                location: {type: 'Point', coordinates: [at.lng, at.lat]},
                category: category.value,
                description: description.value
            };
            if (email.value.trim() !== '') body.contact_email = email.value.trim();
            if (insist) body.insist = true;
            sendButton.disabled = true;
            notice.textContent = t('Die Meldung wird gesendet …');
            fetch('/api/v1/procedures/' + id + '/reports', {
                method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify(body)
            }).then(function (r) {
                return r.json().catch(function () { return {}; }).then(function (answer) {
                    return {status: r.status, answer: answer};
                });
            }).then(function (result) {
                sendButton.disabled = false;
                answered(result.status, result.answer);
            }, function (err) {
                sendButton.disabled = false;
                console.warn('the report could not be sent', err);
                notice.textContent = t('Die Meldung konnte nicht gesendet werden. Bitte versuchen Sie es später noch einmal.');
            });
        }

        function answered(status, answer) {
            if (status === 201) {
                window.partimapLastReport = answer;
                var published = answer.properties && answer.properties.status === 'published';
                notice.textContent = published
                    ? t('Danke! Ihre Meldung ist eingegangen und auf der Karte zu sehen.')
                    : t('Danke! Ihre Meldung ist eingegangen. Sie erscheint auf der Karte, sobald sie geprüft ist.');
                description.value = '';
                var source = map.getSource(SOURCE_ID);
                if (source && source.setUrl) {
                    source.setUrl(new URL('/tiles.json?' + query, window.location.href).href);
                }
                map.easeTo({center: marker.getLngLat(), zoom: Math.max(map.getZoom(), 15)});
                tell('partimap:report-submitted', {report: answer.id, published: published});
                return;
            }
            if (status === 409 && answer.duplicate) {
                var d = Math.round(Number(answer.distance_m) || 0);
                var earlier = answer.duplicate.properties && answer.duplicate.properties.description;
                notice.textContent = earlier
                    ? t('In {d} m Entfernung wurde dasselbe bereits gemeldet: „{text}“. Ist es derselbe Mangel, brauchen Sie ihn nicht noch einmal zu melden.', {d: d, text: earlier})
                    : t('In {d} m Entfernung wurde dasselbe bereits gemeldet. Ist es derselbe Mangel, brauchen Sie ihn nicht noch einmal zu melden.', {d: d});
                insistButton.hidden = false;
                return;
            }
            if (status === 422 && Array.isArray(answer.problems)) {
                var unplaced = [];
                for (var i = 0; i < answer.problems.length; i++) {
                    var p = answer.problems[i];
                    var text = FIELD_MESSAGES[p.pointer] ? t(FIELD_MESSAGES[p.pointer]) : String(p.message);
                    if (!fieldError(p.pointer, text)) unplaced.push(String(p.message));
                }
                notice.textContent = t('Bitte prüfen Sie die markierten Angaben.') +
                    (unplaced.length ? ' ' + unplaced.join('; ') : '');
                return;
            }
            if (status === 429) {
                notice.textContent = t('Sie haben in kurzer Zeit viele Meldungen gesendet. Bitte versuchen Sie es später noch einmal.');
                return;
            }
            notice.textContent = t('Die Meldung wurde nicht angenommen: {detail}', {detail: String(answer.detail || ('HTTP ' + status))});
        }

        form.addEventListener('submit', function (e) {
            e.preventDefault();
            send(false);
        });
        insistButton.addEventListener('click', function () {
            send(true);
        });
    }
}());
