// The pages' languages: German first, English second.
//
// The pages are written in German; a German text is its own key, and
// ENGLISH maps it to its English text. The language is German unless the
// page's URL says `lang=en` (a portal's English page embeds
// `/embed/procedures/7?lang=en`; the overview's language switch sets it).
// A text without an English entry stays German and is logged as a warning,
// so the browser tests (which fail on any warning) catch a missing one.
//
// In the HTML, `data-i18n` marks an element whose text is translated,
// `data-i18n-attr="aria-label title"` the attributes translated.
// Placeholders in a text are written {name} and filled from `vars`.
//
// window.partimapI18n = {lang, t(text, vars), mapLocale(), translatePage(),
// withLang(url)}.
(function () {
    'use strict';

    var ENGLISH = {
        // Both pages
        'Die Kartenbibliothek konnte nicht geladen werden.': 'The map library could not be loaded.',
        'Die Karte wird geladen …': 'The map is loading …',
        'Die Karte konnte nicht geladen werden.': 'The map could not be loaded.',
        'Die Karte ist nicht verfügbar.': 'The map is not available.',
        'Die Karte kann in diesem Browser nicht angezeigt werden (WebGL wird nicht unterstützt).':
            'The map cannot be shown in this browser (WebGL is not supported).',
        'Beteiligungsverfahren': 'Participation procedure',
        'Dialog': 'Dialogue',
        'Umfrage': 'Survey',
        'Veranstaltung': 'Event',
        'Förmliches Verfahren': 'Formal procedure',
        'Bauleitplanung': 'Land-use planning',
        'Mängelmelder': 'Defect reporter',
        'Sonstiges Verfahren': 'Other procedure',
        'Demnächst': 'Upcoming',
        'Läuft': 'Running',
        'Abgeschlossen': 'Closed',
        'am {date}': 'on {date}',
        '{start} bis {end}': '{start} to {end}',
        'ab {date}, bis auf Weiteres': 'from {date}, until further notice',
        'bis {date}': 'until {date}',
        'bis auf Weiteres': 'until further notice',
        // MapLibre's controls
        'Quellenangaben ein- oder ausblenden': 'Toggle attribution',
        'Rückmeldung zur Karte': 'Map feedback',
        'Vollbild': 'Enter fullscreen',
        'Vollbild beenden': 'Exit fullscreen',
        'Meinen Standort finden': 'Find my location',
        'Standort nicht verfügbar': 'Location not available',
        'MapLibre-Logo': 'MapLibre logo',
        'Karte der Beteiligungsverfahren. Mit den Pfeiltasten verschieben, mit Plus und Minus vergrößern oder verkleinern, mit der Eingabetaste die Verfahren in der Kartenmitte zeigen.':
            'Map of the participation procedures. Move it with the arrow keys, zoom in and out with plus and minus, show the procedures in the middle with Enter.',
        'In der Kartenmitte liegt kein Verfahren. Verschieben Sie die Karte mit den Pfeiltasten.':
            'There is no procedure in the middle of the map. Move the map with the arrow keys.',
        'Karte des Verfahrens. Mit den Pfeiltasten verschieben, mit Plus und Minus vergrößern oder verkleinern.':
            'Map of the procedure. Move it with the arrow keys, zoom in and out with plus and minus.',
        'Kartenmarkierung': 'Map marker',
        'Karte nach Norden ausrichten': 'Reset bearing to north',
        'Vergrößern': 'Zoom in',
        'Verkleinern': 'Zoom out',
        'Popup schließen': 'Close popup',
        'Strg + Mausrad zum Zoomen der Karte verwenden': 'Use Ctrl + scroll to zoom the map',
        '⌘ + Mausrad zum Zoomen der Karte verwenden': 'Use ⌘ + scroll to zoom the map',
        'Zum Verschieben der Karte zwei Finger verwenden': 'Use two fingers to move the map',
        '1 Meldung – vergrößern': '1 report – zoom in',
        '{n} Meldungen – vergrößern': '{n} reports – zoom in',
        // The overview
        'Beteiligungsverfahren in Nordrhein-Westfalen – Übersichtskarte':
            'Participation procedures in North Rhine-Westphalia – overview map',
        'Beteiligungsverfahren in Nordrhein-Westfalen': 'Participation procedures in North Rhine-Westphalia',
        'Zur Legende und Verfahrensliste springen': 'Skip to the legend and the list of procedures',
        'Karte der laufenden Beteiligungsverfahren': 'Map of the running participation procedures',
        'Legende': 'Legend',
        'Die Karte zeigt Beteiligungsverfahren (zu Beginn die laufenden). Flächen zeigen das Gebiet eines Verfahrens; Verfahren ohne eigenes Gebiet erscheinen als Kreis am Sitz der zuständigen Behörde. Wählen Sie eine Fläche oder einen Kreis aus, um mehr zu erfahren.':
            'The map shows participation procedures (at first the running ones). Areas show a procedure\'s area; procedures without an area of their own appear as a circle at the seat of the responsible authority. Select an area or a circle to learn more.',
        'Auswahl der gezeigten Verfahren': 'Choice of the procedures shown',
        'Art des Verfahrens': 'Kind of procedure',
        'Stand': 'Status',
        'Laufend': 'Running',
        'Alle': 'All',
        'Behörde': 'Authority',
        'Name der Behörde (mit ihren nachgeordneten Stellen)': 'Name of the authority (with the bodies below it)',
        'Zeitraum': 'Period',
        'Von': 'From',
        'Bis': 'Until',
        'Verfahren, die an mindestens einem Tag des Zeitraums laufen. Für künftige Zeiträume „Demnächst“ oder „Alle“ wählen.':
            'Procedures running on at least one day of the period. For future periods choose “Upcoming” or “All”.',
        'Ohne gewählte Art zeigt die Karte alle Arten. Die Auswahl steht in der Adresse der Seite und kann geteilt werden.':
            'Without a kind chosen the map shows every kind. The choice is part of the page\'s address and can be shared.',
        'Meldungen im Mängelmelder': 'Reports in defect reporters',
        'Gemeldet': 'Reported',
        'In Bearbeitung': 'In progress',
        'Erledigt': 'Resolved',
        'Mehrere Meldungen (je größer, desto mehr)': 'Several reports (the larger, the more)',
        'Verfahren im Kartenausschnitt': 'Procedures in the map view',
        'Für die Karte wird JavaScript benötigt.': 'The map needs JavaScript.',
        'English': 'English',
        'Deutsch': 'Deutsch',
        'Keine Behörde heißt „{text}“.': 'No authority is called “{text}”.',
        'Zu „{text}“ passen {n} Behörden; bitte wählen Sie eine aus der Liste.':
            '{n} authorities match “{text}”; please choose one from the list.',
        'Die Behörden konnten nicht geladen werden.': 'The authorities could not be loaded.',
        'Gezeigt: Verfahren von {name} und ihren nachgeordneten Stellen.':
            'Shown: procedures of {name} and the bodies below it.',
        'Der Zeitraum endet vor seinem Beginn.': 'The period ends before it begins.',
        'Bitte ein Datum wie 2027-02-01 angeben.': 'Please give a date such as 2027-02-01.',
        'Dieses Verfahren hat kein eigenes Gebiet; es wird am Sitz der Behörde gezeigt.':
            'This procedure has no area of its own; it is shown at the authority\'s seat.',
        'Art': 'Kind',
        'Status': 'Status',
        'Zur Beteiligung': 'Take part',
        'An dieser Stelle gibt es ein weiteres Verfahren. Vergrößern Sie die Karte.':
            'There is one more procedure here. Zoom in.',
        'An dieser Stelle gibt es {n} weitere Verfahren. Vergrößern Sie die Karte.':
            'There are {n} more procedures here. Zoom in.',
        'Die Angaben zu diesem Verfahren konnten nicht geladen werden.':
            'The details of this procedure could not be loaded.',
        'Im aktuellen Kartenausschnitt gibt es keine Verfahren dieser Auswahl.':
            'There are no procedures of this choice in the map view.',
        '{total} Verfahren; die ersten {n} werden angezeigt. Vergrößern Sie die Karte, um die Auswahl einzugrenzen.':
            '{total} procedures; the first {n} are shown. Zoom in to narrow the choice.',
        '1 Verfahren': '1 procedure',
        '{n} Verfahren': '{n} procedures',
        'Die Liste konnte nicht geladen werden.': 'The list could not be loaded.',
        // The embed
        'Karte des Beteiligungsverfahrens': 'Map of the participation procedure',
        'Karte: {title}': 'Map: {title}',
        'Mangel melden': 'Report a defect',
        'Tippen oder klicken Sie auf die Karte, um den Ort zu setzen, und ziehen Sie die Markierung zum Korrigieren – oder geben Sie die Koordinaten ein.':
            'Tap or click the map to set the place and drag the marker to correct it – or type the coordinates.',
        'Ort in die Kartenmitte setzen': 'Set the place to the map\'s centre',
        'Längengrad': 'Longitude',
        'Breitengrad': 'Latitude',
        'Kategorie': 'Category',
        'Bitte wählen …': 'Please choose …',
        'Beschreibung': 'Description',
        'E-Mail für Rückfragen (freiwillig, wird nicht veröffentlicht)':
            'E-mail for questions (optional, not published)',
        'Meldung absenden': 'Send report',
        'Trotzdem melden': 'Report anyway',
        'Diese Karte in eine Seite einbetten': 'Embed this map in a page',
        'Kopieren Sie diesen Code in die Seite Ihres Verfahrens:': 'Copy this code into your procedure\'s page:',
        'HTML-Code zum Einbetten': 'HTML code to embed',
        'Oder mit Skript (passt die Höhe an und meldet Ereignisse an die Seite):':
            'Or with a script (adapts the height and reports events to the page):',
        'HTML-Code mit Skript': 'HTML code with script',
        'Ort der Meldung': 'Place of the report',
        'Der Ort liegt nicht im Gebiet dieses Mängelmelders. Bitte setzen Sie ihn auf der Karte.':
            'The place is outside this defect reporter\'s area. Please set it on the map.',
        'Bitte wählen Sie eine Kategorie.': 'Please choose a category.',
        'Bitte beschreiben Sie den Mangel (höchstens 4.000 Zeichen).':
            'Please describe the defect (at most 4,000 characters).',
        'Diese E-Mail-Adresse scheint nicht zu stimmen.': 'This e-mail address does not seem right.',
        'Bitte setzen Sie zuerst den Ort auf der Karte.': 'Please set the place on the map first.',
        'Die Meldung wird gesendet …': 'The report is being sent …',
        'Die Meldung konnte nicht gesendet werden. Bitte versuchen Sie es später noch einmal.':
            'The report could not be sent. Please try again later.',
        'Danke! Ihre Meldung ist eingegangen und auf der Karte zu sehen.':
            'Thank you! Your report has arrived and is shown on the map.',
        'Danke! Ihre Meldung ist eingegangen. Sie erscheint auf der Karte, sobald sie geprüft ist.':
            'Thank you! Your report has arrived. It appears on the map once it has been checked.',
        'In {d} m Entfernung wurde dasselbe bereits gemeldet: „{text}“. Ist es derselbe Mangel, brauchen Sie ihn nicht noch einmal zu melden.':
            'The same was already reported {d} m away: “{text}”. If it is the same defect, you need not report it again.',
        'In {d} m Entfernung wurde dasselbe bereits gemeldet. Ist es derselbe Mangel, brauchen Sie ihn nicht noch einmal zu melden.':
            'The same was already reported {d} m away. If it is the same defect, you need not report it again.',
        'Bitte prüfen Sie die markierten Angaben.': 'Please check the marked entries.',
        'Sie haben in kurzer Zeit viele Meldungen gesendet. Bitte versuchen Sie es später noch einmal.':
            'You have sent many reports in a short time. Please try again later.',
        'Die Meldung wurde nicht angenommen: {detail}': 'The report was not accepted: {detail}',
        'In der Nähe gemeldet ({category}):': 'Reported nearby ({category}):',
        '{d} m entfernt': '{d} m away',
        'Bereits gemeldet? Sehen Sie nach, bevor Sie senden.': 'Already reported? Have a look before you send.',
        'In der Nähe ist in dieser Kategorie noch nichts gemeldet.': 'Nothing of this category has been reported nearby yet.',
        'ohne Beschreibung': 'without description',
        'Adresse': 'Address',
        'Adresse suchen': 'Search address',
        'Bitte geben Sie eine Adresse ein.': 'Please type an address.',
        'Die Adresse wird gesucht …': 'Searching the address …',
        '{n} Treffer – wählen Sie einen, um den Ort zu setzen:': '{n} results – choose one to set the place:',
        'Keine Adresse gefunden. Setzen Sie den Ort auf der Karte.': 'No address found. Set the place on the map.',
        'Ort gesetzt: {label}. Ziehen Sie die Markierung, um ihn zu korrigieren.':
            'Place set: {label}. Drag the marker to correct it.',
        'Die Adresssuche ist gerade nicht erreichbar. Setzen Sie den Ort auf der Karte.':
            'The address search cannot be reached right now. Set the place on the map.'
    };

    var params = new URLSearchParams(window.location.search);
    var lang = params.get('lang') === 'en' ? 'en' : 'de';

    function fill(text, vars) {
        if (!vars) return text;
        return text.replace(/\{(\w+)\}/g, function (whole, name) {
            return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
        });
    }

    function t(text, vars) {
        if (lang === 'en') {
            if (Object.prototype.hasOwnProperty.call(ENGLISH, text)) return fill(ENGLISH[text], vars);
            console.warn('no English text for: ' + text);
        }
        return fill(text, vars);
    }

    // MapLibre's control texts in the page's language.
    function mapLocale(mapTitle) {
        var german = {
            'AttributionControl.ToggleAttribution': 'Quellenangaben ein- oder ausblenden',
            'AttributionControl.MapFeedback': 'Rückmeldung zur Karte',
            'FullscreenControl.Enter': 'Vollbild',
            'FullscreenControl.Exit': 'Vollbild beenden',
            'GeolocateControl.FindMyLocation': 'Meinen Standort finden',
            'GeolocateControl.LocationNotAvailable': 'Standort nicht verfügbar',
            'LogoControl.Title': 'MapLibre-Logo',
            'Map.Title': mapTitle,
            'Marker.Title': 'Kartenmarkierung',
            'NavigationControl.ResetBearing': 'Karte nach Norden ausrichten',
            'NavigationControl.ZoomIn': 'Vergrößern',
            'NavigationControl.ZoomOut': 'Verkleinern',
            'Popup.Close': 'Popup schließen',
            'CooperativeGesturesHandler.WindowsHelpText': 'Strg + Mausrad zum Zoomen der Karte verwenden',
            'CooperativeGesturesHandler.MacHelpText': '⌘ + Mausrad zum Zoomen der Karte verwenden',
            'CooperativeGesturesHandler.MobileHelpText': 'Zum Verschieben der Karte zwei Finger verwenden'
        };
        var locale = {'ScaleControl.Meters': 'm', 'ScaleControl.Kilometers': 'km'};
        for (var key in german) {
            if (Object.prototype.hasOwnProperty.call(german, key)) locale[key] = t(german[key]);
        }
        return locale;
    }

    // The page's marked texts and attributes in its language.
    function translatePage() {
        document.documentElement.lang = lang;
        if (lang === 'de') return;
        document.title = t(document.title);
        var texts = document.querySelectorAll('[data-i18n]');
        for (var i = 0; i < texts.length; i++) {
            texts[i].textContent = t(texts[i].textContent.replace(/\s+/g, ' ').trim());
        }
        var marked = document.querySelectorAll('[data-i18n-attr]');
        for (var j = 0; j < marked.length; j++) {
            var names = marked[j].getAttribute('data-i18n-attr').split(/\s+/);
            for (var k = 0; k < names.length; k++) {
                var value = marked[j].getAttribute(names[k]);
                if (value) marked[j].setAttribute(names[k], t(value.replace(/\s+/g, ' ').trim()));
            }
        }
    }

    // A page URL of ours carrying the language (German needs none).
    function withLang(url) {
        if (lang === 'de') return url;
        var u = new URL(url, window.location.href);
        u.searchParams.set('lang', lang);
        return u.pathname + u.search + u.hash;
    }

    window.partimapI18n = {lang: lang, t: t, mapLocale: mapLocale, translatePage: translatePage, withLang: withLang};
    translatePage();
}());
