// The optional embed script a portal editor copies beside (or instead of)
// the plain iframe:
//
//   <div data-partimap-procedure="45" data-title="Karte: Mängelmelder Siegen"></div>
//   <script src="https://partimap.example/assets/embed-loader.js" async></script>
//
// It puts the iframe of /embed/procedures/{id} (title, loading="lazy",
// data-lang="en" for the English map) into every such element that has
// none yet, lets the frame's height follow its content (the map's
// `partimap:resize` messages) and turns the map's messages into DOM events
// on the element — `partimap:ready`, `partimap:feature-selected`,
// `partimap:report-submitted`, with the message as `event.detail` — so the
// portal's page listens with element.addEventListener. A message counts
// only when it comes from partimap's origin and from that element's frame.
(function () {
    'use strict';

    var script = document.currentScript;
    if (!script || !script.src) return;
    var origin = new URL(script.src).origin;
    var EVENTS = ['partimap:ready', 'partimap:feature-selected', 'partimap:report-submitted'];
    var frames = [];

    function mount(element) {
        if (element.querySelector('iframe')) return;
        var id = element.getAttribute('data-partimap-procedure');
        if (!/^\d+$/.test(id || '')) {
            console.error('partimap: data-partimap-procedure must be a procedure id, not ' + JSON.stringify(id));
            return;
        }
        var src = new URL('/embed/procedures/' + id, origin);
        if (element.getAttribute('data-lang') === 'en') src.searchParams.set('lang', 'en');
        var frame = document.createElement('iframe');
        frame.src = src.href;
        frame.title = element.getAttribute('data-title') || 'Karte des Beteiligungsverfahrens';
        frame.loading = 'lazy';
        frame.width = '100%';
        frame.height = element.getAttribute('data-height') || '480';
        frame.style.border = '0';
        element.appendChild(frame);
        frames.push({frame: frame, element: element});
    }

    window.addEventListener('message', function (e) {
        if (e.origin !== origin || !e.data || typeof e.data.type !== 'string') return;
        for (var i = 0; i < frames.length; i++) {
            if (frames[i].frame.contentWindow !== e.source) continue;
            if (e.data.type === 'partimap:resize') {
                var h = Number(e.data.height);
                // Bounded, so that a page cannot be stretched without end.
                if (isFinite(h) && h >= 200 && h <= 4000) frames[i].frame.height = String(Math.ceil(h));
            } else if (EVENTS.indexOf(e.data.type) >= 0) {
                frames[i].element.dispatchEvent(new CustomEvent(e.data.type, {detail: e.data, bubbles: true}));
            }
        }
    });

    var elements = document.querySelectorAll('[data-partimap-procedure]');
    for (var i = 0; i < elements.length; i++) mount(elements[i]);
}());
