// Patterns per procedure kind, so that the map does not tell kinds apart by
// colour alone (WCAG 1.4.1): each kind's areas get a line or dot pattern in
// the kind's colour over the fill, the same ones the legend's swatches show
// (overview.css). Drawn on a canvas here — the style has no sprite, and the
// page loads nothing from elsewhere.
//
// window.partimapPatterns.add(map) adds the images and the layer
// "procedure-patterns" (below the outlines) once the style is loaded.
(function () {
    'use strict';

    var SIZE = 12;
    var KINDS = {
        dialog: {color: '#0072b2', draw: 'diagonal'},
        survey: {color: '#c4510a', draw: 'dots'},
        event: {color: '#7b3294', draw: 'cross'},
        formal_procedure: {color: '#8a6d00', draw: 'horizontal'},
        land_use_plan: {color: '#00795c', draw: 'vertical'},
        reporting: {color: '#b0307a', draw: 'antidiagonal'}
    };

    function image(kind) {
        var canvas = document.createElement('canvas');
        canvas.width = SIZE;
        canvas.height = SIZE;
        var g = canvas.getContext('2d');
        g.strokeStyle = kind.color;
        g.fillStyle = kind.color;
        g.lineWidth = 1.5;
        g.beginPath();
        switch (kind.draw) {
        case 'diagonal':
            g.moveTo(0, SIZE); g.lineTo(SIZE, 0);
            g.moveTo(-SIZE / 2, SIZE / 2); g.lineTo(SIZE / 2, -SIZE / 2);
            g.moveTo(SIZE / 2, SIZE * 1.5); g.lineTo(SIZE * 1.5, SIZE / 2);
            break;
        case 'antidiagonal':
            g.moveTo(0, 0); g.lineTo(SIZE, SIZE);
            g.moveTo(-SIZE / 2, SIZE / 2); g.lineTo(SIZE / 2, SIZE * 1.5);
            g.moveTo(SIZE / 2, -SIZE / 2); g.lineTo(SIZE * 1.5, SIZE / 2);
            break;
        case 'cross':
            g.moveTo(0, SIZE / 2); g.lineTo(SIZE, SIZE / 2);
            g.moveTo(SIZE / 2, 0); g.lineTo(SIZE / 2, SIZE);
            break;
        case 'horizontal':
            g.moveTo(0, SIZE / 2); g.lineTo(SIZE, SIZE / 2);
            break;
        case 'vertical':
            g.moveTo(SIZE / 2, 0); g.lineTo(SIZE / 2, SIZE);
            break;
        default: // dots
            g.arc(SIZE / 2, SIZE / 2, 1.8, 0, 2 * Math.PI);
            g.fill();
        }
        g.stroke();
        return g.getImageData(0, 0, SIZE, SIZE);
    }

    function add(map) {
        var names = Object.keys(KINDS);
        for (var i = 0; i < names.length; i++) {
            var id = 'pattern-' + names[i];
            if (!map.hasImage(id)) map.addImage(id, image(KINDS[names[i]]));
        }
        if (map.getLayer('procedure-patterns') || !map.getSource('partimap')) return;
        var before = map.getLayer('procedure-outlines') ? 'procedure-outlines' : undefined;
        map.addLayer({
            id: 'procedure-patterns',
            type: 'fill',
            source: 'partimap',
            'source-layer': 'procedures',
            filter: ['all', ['==', ['geometry-type'], 'Polygon'],
                ['in', ['get', 'kind'], ['literal', names]]],
            paint: {
                'fill-pattern': ['concat', 'pattern-', ['get', 'kind']],
                'fill-opacity': 0.7
            }
        }, before);
    }

    window.partimapPatterns = {add: add};
}());
